import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { parseDesktopEntry } from '../../agent/desktop/core/desktop-entry.js';
import { DesktopExecError, expandExec, splitExec, type ExecContext } from '../../agent/desktop/core/desktop-exec.js';
import { desktopEntryKeys } from '../../agent/desktop/core/desktop-entry.js';

const WHERE = '/usr/share/applications/org.example.Editor.desktop';

describe('splitExec: the spec\'s quoting rules', () => {
  const cases: [string, string, string[]][] = [
    ['plain words', 'editor --new-window', ['editor', '--new-window']],
    ['runs of blanks and tabs separate once', '  editor \t -a   b  ', ['editor', '-a', 'b']],
    ['a double-quoted argument keeps its spaces', 'editor "My Documents/a b.txt"', ['editor', 'My Documents/a b.txt']],
    ['reserved characters are plain inside double quotes', `sh -c "a > b | c & d; e < f ~ * ? # ( ) '"`, ['sh', '-c', `a > b | c & d; e < f ~ * ? # ( ) '`]],
    ['\\" inside double quotes', 'echo "say \\"hi\\""', ['echo', 'say "hi"']],
    ['\\` inside double quotes', 'echo "\\`date\\`"', ['echo', '`date`']],
    ['\\$ inside double quotes', 'echo "\\$HOME"', ['echo', '$HOME']],
    ['\\\\ inside double quotes', 'echo "C:\\\\dir"', ['echo', 'C:\\dir']],
    ['another backslash inside double quotes stays literal', 'echo "a\\b"', ['echo', 'a\\b']],
    ['an empty quoted argument is an argument', 'app "" x', ['app', '', 'x']],
    ['quoted and unquoted parts of one word join', 'app --title="A B"x', ['app', '--title=A Bx']],
    ['a newline separates (from \\n in the file)', 'app\na', ['app', 'a']],
    ['leniency: single quotes quote literally', `sh -c 'echo "$1" \\ ok' sh`, ['sh', '-c', 'echo "$1" \\ ok', 'sh']],
    ['leniency: an unquoted backslash escapes the next character', 'wine C:\\\\windows\\\\start.exe a\\ b', ['wine', 'C:\\windows\\start.exe', 'a b']],
    ['percent signs are left for the field-code step', 'app %f "%%"', ['app', '%f', '%%']],
    ['non-ASCII', 'éditeur «fichier»', ['éditeur', '«fichier»']],
    ['empty', '', []],
  ];
  for (const [name, exec, want] of cases) {
    test(name, () => assert.deepEqual(splitExec(exec, WHERE), want));
  }

  const bad: [string, string, RegExp][] = [
    ['unterminated double quote', 'app "a b', /unterminated double quote \(opened at column 5\)/],
    ['a closing quote escaped away', 'app "a\\"', /unterminated double quote/],
    ['unterminated single quote', "sh -c 'echo", /unterminated single quote \(opened at column 7\)/],
    ['a trailing backslash', 'app a\\', /a backslash ends the line/],
    ...['>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '`', '(', ')'].map((c): [string, string, RegExp] =>
      [`unquoted ${c}`, `app a${c}b`, new RegExp(`unquoted ${JSON.stringify(c).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at column 6: the spec reserves it`)]),
  ];
  for (const [name, exec, want] of bad) {
    test(`error: ${name}, naming the entry and the line`, () => {
      assert.throws(() => splitExec(exec, WHERE), (err: unknown) => {
        assert.ok(err instanceof DesktopExecError);
        assert.equal(err.kind, 'entry');
        assert.ok(err.message.startsWith(`${WHERE}: Exec=${exec}: `), err.message);
        assert.match(err.message, want);
        return true;
      });
    });
  }
});

const ctx = (over: Partial<ExecContext> = {}): ExecContext => ({
  where: WHERE, name: 'Example Editor', icon: 'accessories-text-editor', location: WHERE, targets: [], cwd: '/home/me', ...over,
});

describe('expandExec: field codes', () => {
  const cases: [string, string, Partial<ExecContext>, string[]][] = [
    ['%f with a file', 'editor %f', { targets: ['/tmp/a.txt'] }, ['editor', '/tmp/a.txt']],
    ['%f without a file vanishes', 'editor %f', {}, ['editor']],
    ['%f inside an argument', 'editor --open=%f', { targets: ['/tmp/a'] }, ['editor', '--open=/tmp/a']],
    ['%f inside an argument, no file: empty', 'editor --open=%f', {}, ['editor', '--open=']],
    ['%f makes a relative path absolute (Path= may move the app elsewhere)', 'editor %f', { targets: ['notes/a.txt'] }, ['editor', '/home/me/notes/a.txt']],
    ['%f strips ./', 'editor %f', { targets: ['./a.txt'] }, ['editor', '/home/me/a.txt']],
    ['%f turns a file: URL into its path', 'editor %f', { targets: ['file:///tmp/a%20b.txt'] }, ['editor', '/tmp/a b.txt']],
    ['%f turns file://localhost/ too', 'editor %f', { targets: ['file://localhost/tmp/x'] }, ['editor', '/tmp/x']],
    ['%F with files', 'editor %F', { targets: ['/a', 'b', 'file:///c'] }, ['editor', '/a', '/home/me/b', '/c']],
    ['%F with none vanishes', 'editor %F --x', {}, ['editor', '--x']],
    ['%u passes a URL through', 'browser %u', { targets: ['https://example.org/?a=1&b=2#top'] }, ['browser', 'https://example.org/?a=1&b=2#top']],
    ['%u makes a relative path absolute', 'browser %u', { targets: ['page.html'] }, ['browser', '/home/me/page.html']],
    ['%u keeps a file: URL', 'browser %u', { targets: ['file:///tmp/x'] }, ['browser', 'file:///tmp/x']],
    ['%U with several', 'browser %U', { targets: ['https://a', 'mailto:x@y'] }, ['browser', 'https://a', 'mailto:x@y']],
    ['%U with none vanishes', 'browser %U', {}, ['browser']],
    ['%i is --icon <Icon>', 'editor %i', {}, ['editor', '--icon', 'accessories-text-editor']],
    ['%i without an Icon vanishes', 'editor %i -x', { icon: '' }, ['editor', '-x']],
    ['%c is the Name', 'editor --class %c', {}, ['editor', '--class', 'Example Editor']],
    ['%c inside an argument', 'editor --title=%c!', {}, ['editor', '--title=Example Editor!']],
    ['%k is the file', 'editor --desktop-file %k', {}, ['editor', '--desktop-file', WHERE]],
    ['%% is a %', 'printf 100%% "%%d"', {}, ['printf', '100%', '%d']],
    ['%%f is a literal %f', 'editor %%f', {}, ['editor', '%f']],
    ...['d', 'D', 'n', 'N', 'v', 'm'].map((c): [string, string, Partial<ExecContext>, string[]] =>
      [`deprecated %${c} vanishes`, `editor %${c} --x=%${c}y`, {}, ['editor', '--x=y']]),
    ['field codes inside quotes are expanded too', 'sh -c "echo opened \\$1" sh "%f"', { targets: ['/tmp/a'] }, ['sh', '-c', 'echo opened $1', 'sh', '/tmp/a']],
    ['a file name is never split or interpreted', 'editor %f', { targets: ['/tmp/a b;$(rm -rf ~)'] }, ['editor', '/tmp/a b;$(rm -rf ~)']],
  ];
  for (const [name, exec, over, want] of cases) {
    test(name, () => assert.deepEqual(expandExec(exec, ctx(over)), want));
  }

  const entryErrors: [string, string, RegExp][] = [
    ['an unknown code', 'editor %x', /unknown field code %x in "%x"/],
    ['an unknown code inside an argument', 'editor --a=%q', /unknown field code %q/],
    ['a lone % at the end', 'editor 100%', /a lone "%" ends the argument "100%"/],
    ['two file codes', 'editor %f %U', /more than one of %f, %F, %u, %U \(found %f, %U\)/],
    ['%F inside an argument', 'editor --files=%F', /%F must be an argument on its own/],
    ['%U inside an argument', 'editor x%U', /%U must be an argument on its own/],
    ['%i inside an argument', 'editor -i%i', /%i must be an argument on its own/],
    ['nothing to run', '  ', /no program to run/],
    ['only field codes', '%f', /no program to run/],
    ['malformed quoting', 'editor "%f', /unterminated double quote/],
  ];
  for (const [name, exec, want] of entryErrors) {
    test(`entry error: ${name}`, () => {
      assert.throws(() => expandExec(exec, ctx()), (err: unknown) => {
        assert.ok(err instanceof DesktopExecError);
        assert.equal(err.kind, 'entry');
        assert.ok(err.message.startsWith(`${WHERE}: Exec=${exec}: `), err.message);
        assert.match(err.message, want);
        return true;
      });
    });
  }

  const usageErrors: [string, string, string[], RegExp][] = [
    ['files for an entry that takes none', 'editor', ['/a'], /opens no files or URLs \(its Exec= has no %f, %F, %u or %U\), but 1 were given/],
    ['two files for %f', 'editor %f', ['/a', '/b'], /opens one file at a time \(its Exec= has %f\), but 2 were given/],
    ['two URLs for %u', 'browser %u', ['https://a', 'https://b'], /opens one URL at a time/],
    ['a URL for %f', 'editor %f', ['https://example.org/a.txt'], /opens local files only .*"https:\/\/example\.org\/a\.txt"/],
    ['a remote file: URL for %F', 'editor %F', ['file://server/a'], /opens local files only/],
  ];
  for (const [name, exec, targets, want] of usageErrors) {
    test(`usage error: ${name}`, () => {
      assert.throws(() => expandExec(exec, ctx({ targets })), (err: unknown) => {
        assert.ok(err instanceof DesktopExecError);
        assert.equal(err.kind, 'usage');
        assert.ok(err.message.includes(WHERE), err.message);
        assert.match(err.message, want);
        return true;
      });
    });
  }

  test('the file\'s own escapes come first: \\\\\\\\ in a quoted argument is one backslash (spec example)', () => {
    const entry = parseDesktopEntry('[Desktop Entry]\nType=Application\nName=E\nExec=echo "a\\\\\\\\b" c\\\\sd\n');
    assert.equal(entry?.exec, 'echo "a\\\\b" c\\sd');
    assert.deepEqual(expandExec(entry.exec, ctx()), ['echo', 'a\\b', 'csd']);
  });
});

describe('desktopEntryKeys', () => {
  test('keys of [Desktop Entry] only, first one wins, escapes undone', () => {
    const keys = desktopEntryKeys('# c\n[Desktop Entry]\nType=Application\nPath=/srv/my\\sdir\nPath=/other\nTryExec=editor\n\n[Desktop Action x]\nPath=/nope\nExec=x\n');
    assert.equal(keys.get('Type'), 'Application');
    assert.equal(keys.get('Path'), '/srv/my dir');
    assert.equal(keys.get('TryExec'), 'editor');
    assert.equal(keys.get('Exec'), undefined);
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  backupName, conflictMessage, dbusExecWord, planInstallFile, planUninstallFile, renderActivation, renderUnit, systemdExecWord,
} from '../../agent/install/core/install-plan.js';

const asset = (name: string): string => readFileSync(fileURLToPath(new URL(`../../../assets/${name}`, import.meta.url)), 'utf8');

describe('rendering the installed files', () => {
  test('the unit: a marker line, ExecStart rewritten, everything else as in the template', () => {
    const template = asset('headroom-agent.service');
    const unit = renderUnit(template, '/opt/headroom/bin/headroom', '1.2.3');
    const [first, ...rest] = unit.split('\n');
    assert.match(first!, /^# Written by headroom install \(headroom 1\.2\.3\); .*systemctl --user edit headroom-agent\.service/);
    assert.equal(rest.join('\n'), template.replace(/^ExecStart=.*$/m, 'ExecStart=/opt/headroom/bin/headroom agent'));
  });

  test('the D-Bus activation file', () => {
    assert.equal(renderActivation(asset('org.headroom.Agent1.service'), '/opt/headroom/bin/headroom', '1.2.3'),
      '# Written by headroom install (headroom 1.2.3); headroom uninstall removes it\n'
      + '[D-BUS Service]\nName=org.headroom.Agent1\nExec=/opt/headroom/bin/headroom agent\nSystemdService=headroom-agent.service\n');
  });

  test('rendering is deterministic (so a second install can see it has nothing to do)', () => {
    const t = asset('headroom-agent.service');
    assert.equal(renderUnit(t, '/x/bin/headroom', '1'), renderUnit(t, '/x/bin/headroom', '1'));
  });

  test('a template without the key is a bug, said so', () => {
    assert.throws(() => renderUnit('[Service]\n', '/x', '1'), /the unit template has no ExecStart= line/);
  });

  const systemd: [string, string][] = [
    ['/usr/bin/headroom', '/usr/bin/headroom'],
    ['/home/me/My Apps/headroom', '"/home/me/My Apps/headroom"'],
    ['/opt/100%/headroom', '/opt/100%%/headroom'],
    ['/opt/$HOME/headroom', '/opt/$$HOME/headroom'],
    ['/opt/a "b"\\c', '"/opt/a \\"b\\"\\\\c"'],
  ];
  for (const [word, want] of systemd) test(`systemd Exec word ${JSON.stringify(word)}`, () => assert.equal(systemdExecWord(word), want));

  const dbus: [string, string][] = [
    ['/usr/bin/headroom', '/usr/bin/headroom'],
    ['/home/me/My Apps/headroom', "'/home/me/My Apps/headroom'"],
    ["/opt/it's/headroom", "'/opt/it'\\''s/headroom'"],
  ];
  for (const [word, want] of dbus) test(`D-Bus Exec word ${JSON.stringify(word)}`, () => assert.equal(dbusExecWord(word), want));
});

describe('what to do with each file', () => {
  const desired = 'new';
  const install: [string, string | null, boolean, boolean, string][] = [
    // name, current content, matches the record, --force, action
    ['absent', null, false, false, 'create'],
    ['already what we would write', 'new', false, false, 'unchanged'],
    ['already what we would write, and recorded', 'new', true, false, 'unchanged'],
    ['ours from an earlier install', 'old', true, false, 'update'],
    ['edited (or never ours)', 'mine', false, false, 'conflict'],
    ['edited, --force', 'mine', false, true, 'replace'],
    ['ours, --force changes nothing about it', 'old', true, true, 'update'],
  ];
  for (const [name, current, matchesRecord, force, want] of install) {
    test(`install: ${name} → ${want}`, () => assert.equal(planInstallFile({ current, matchesRecord }, desired, force), want));
  }

  const uninstall: [string, string | null, boolean, boolean, string][] = [
    ['absent', null, false, false, 'absent'],
    ['what we would write', 'new', false, false, 'remove'],
    ['what we last wrote', 'old', true, false, 'remove'],
    ['edited', 'mine', false, false, 'conflict'],
    ['edited, --force', 'mine', false, true, 'remove-backup'],
  ];
  for (const [name, current, matchesRecord, force, want] of uninstall) {
    test(`uninstall: ${name} → ${want}`, () => assert.equal(planUninstallFile({ current, matchesRecord }, desired, force), want));
  }
});

describe('messages and names', () => {
  test('a refused unit names the file, the drop-in way and --force', () => {
    const m = conflictMessage('/h/.config/systemd/user/headroom-agent.service', true, 'install');
    assert.match(m, /^\/h\/\.config\/systemd\/user\/headroom-agent\.service was edited since headroom install wrote it; not touching it\./);
    assert.match(m, /systemctl --user edit headroom-agent\.service/);
    assert.match(m, /"headroom install --force" to replace it \(your version is kept as \/h\/\.config\/systemd\/user\/headroom-agent\.service\.bak-<time>\)/);
  });

  test('a foreign activation file on uninstall', () => {
    const m = conflictMessage('/h/d/dbus-1/services/org.headroom.Agent1.service', false, 'uninstall');
    assert.match(m, /exists but was not written by headroom install/);
    assert.match(m, /"headroom uninstall --force" to remove it/);
    assert.doesNotMatch(m, /systemctl --user edit/);
  });

  test('backup names sort by time and end in no suffix systemd or D-Bus would load', () => {
    assert.equal(backupName('/x/headroom-agent.service', Date.UTC(2025, 0, 2, 3, 4, 5, 678)), '/x/headroom-agent.service.bak-20250102T030405Z');
  });
});


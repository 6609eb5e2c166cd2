// Turn a desktop entry's Exec= value into an argv, per the Desktop Entry spec ("The Exec
// key"): first undo the quoting, then expand the field codes, argument by argument. Pure.
//
// The value given here has already had the general string escapes undone (\s \n \t \r \\,
// done by parseDesktopEntry), as the spec orders. Quoting rules:
//   - "…" quotes an argument; inside, \" \` \$ \\ are escapes. A backslash before any other
//     character stays literal (GLib and POSIX sh read it so too).
//   - Every other reserved character (> < ~ | & ; $ * ? # ` ( )) must be quoted: unquoted,
//     it is an error, since the entry's author may have meant a shell and we run no shell.
//   - Two leniencies, which GLib, KDE and systemd's xdg-autostart-generator share and which
//     entries in the wild rely on: '…' quotes literally (no escapes inside), and outside
//     quotes a backslash makes the next character literal (Wine's C:\\windows\\… entries).

export class DesktopExecError extends Error {
  override name = 'DesktopExecError';
  /** 'entry': the .desktop file is at fault; 'usage': the files/URLs given do not fit it. */
  constructor(message: string, readonly kind: 'entry' | 'usage' = 'entry') {
    super(message);
  }
}

const BLANK = new Set([' ', '\t', '\n']);
const RESERVED_UNQUOTED = new Set(['>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '`', '(', ')']);
const DOUBLE_QUOTE_ESCAPES = new Set(['"', '`', '$', '\\']);

/** Split an Exec= value into arguments. `where` names the entry in error messages. */
export function splitExec(exec: string, where: string): string[] {
  const fail = (what: string): never => {
    throw new DesktopExecError(`${where}: Exec=${exec}: ${what}`);
  };
  const args: string[] = [];
  let word = '';
  let inWord = false;
  const chars = [...exec]; // code points, so columns count characters
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const column = i + 1;
    if (BLANK.has(c)) {
      if (inWord) args.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '"') {
      let j = i + 1;
      for (;;) {
        const d = chars[j];
        if (d === undefined) fail(`unterminated double quote (opened at column ${column})`);
        if (d === '"') break;
        if (d === '\\' && chars[j + 1] !== undefined && DOUBLE_QUOTE_ESCAPES.has(chars[j + 1]!)) {
          word += chars[j + 1]!;
          j += 2;
          continue;
        }
        word += d;
        j++;
      }
      i = j;
    } else if (c === "'") {
      const end = chars.indexOf("'", i + 1);
      if (end < 0) fail(`unterminated single quote (opened at column ${column})`);
      word += chars.slice(i + 1, end).join('');
      i = end;
    } else if (c === '\\') {
      const next = chars[i + 1];
      if (next === undefined) fail('a backslash ends the line (nothing left to escape)');
      word += next;
      i++;
    } else if (RESERVED_UNQUOTED.has(c)) {
      fail(`unquoted ${JSON.stringify(c)} at column ${column}: the spec reserves it, so the argument must be quoted ("…")`);
    } else {
      word += c;
    }
  }
  if (inWord) args.push(word);
  return args;
}

export interface ExecContext {
  /** Names the entry in error messages, e.g. "org.example.Editor.desktop". */
  where: string;
  /** The translated Name (%c). */
  name: string;
  /** Icon= (%i); '' when unset. */
  icon: string;
  /** Where the .desktop file is (%k). */
  location: string;
  /** Files or URLs to open, as the user gave them. */
  targets: readonly string[];
  /** The caller's working directory: relative file names are made absolute against it. */
  cwd: string;
}

const FILE_CODES = new Set(['f', 'F', 'u', 'U']);
const DEPRECATED_CODES = new Set(['d', 'D', 'n', 'N', 'v', 'm']);
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** One target as %f/%F want it (a local path) or %u/%U (a URL, or a path). */
function normaliseTarget(target: string, kind: 'file' | 'url', ctx: ExecContext): string {
  const absolute = (p: string): string => (p.startsWith('/') ? p : `${ctx.cwd.replace(/\/+$/, '')}/${p.replace(/^(\.\/)+/, '')}`);
  if (!SCHEME.test(target)) return absolute(target);
  if (kind === 'url') return target;
  const m = /^file:\/\/(?:localhost)?(\/[^?#]*)$/i.exec(target);
  if (!m) {
    throw new DesktopExecError(`${ctx.where} opens local files only (its Exec= has %f or %F), not ${JSON.stringify(target)}`, 'usage');
  }
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    throw new DesktopExecError(`${JSON.stringify(target)} is not a valid file: URL`, 'usage');
  }
}

type Piece = { code: string } | { text: string };

function pieces(arg: string, fail: (what: string) => never): Piece[] {
  const out: Piece[] = [];
  let text = '';
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i]!;
    if (c !== '%') {
      text += c;
      continue;
    }
    const code = arg[i + 1];
    if (code === undefined) fail(`a lone "%" ends the argument ${JSON.stringify(arg)} (write %% for a literal %)`);
    i++;
    if (code === '%') {
      text += '%';
      continue;
    }
    if (text !== '') out.push({ text });
    text = '';
    out.push({ code });
  }
  if (text !== '') out.push({ text });
  return out;
}

/**
 * The argv an entry's Exec= runs with these targets: quoting undone, then field codes expanded.
 * %f/%u take one target, %F/%U all of them; %i is "--icon <Icon>", %c the Name, %k the file,
 * %% a "%"; the deprecated %d %D %n %N %v %m vanish; any other code is an error.
 */
export function expandExec(exec: string, ctx: ExecContext): string[] {
  const fail = (what: string): never => {
    throw new DesktopExecError(`${ctx.where}: Exec=${exec}: ${what}`);
  };
  const parsed = splitExec(exec, ctx.where).map((arg) => ({ arg, pieces: pieces(arg, fail) }));
  if (parsed.length === 0) fail('no program to run');

  const fileCodes = parsed.flatMap((p) => p.pieces.flatMap((x) => ('code' in x && FILE_CODES.has(x.code) ? [x.code] : [])));
  if (fileCodes.length > 1) fail(`more than one of %f, %F, %u, %U (found ${fileCodes.map((c) => `%${c}`).join(', ')}); the spec allows one`);
  const fileCode = fileCodes[0];
  const targets = ctx.targets.map((t) => normaliseTarget(t, fileCode === 'f' || fileCode === 'F' ? 'file' : 'url', ctx));
  if (targets.length > 0 && fileCode === undefined) {
    throw new DesktopExecError(`${ctx.where} opens no files or URLs (its Exec= has no %f, %F, %u or %U), but ${targets.length} were given`, 'usage');
  }
  if (targets.length > 1 && (fileCode === 'f' || fileCode === 'u')) {
    throw new DesktopExecError(`${ctx.where} opens one ${fileCode === 'f' ? 'file' : 'URL'} at a time (its Exec= has %${fileCode}), but ${targets.length} were given: launch it once for each`, 'usage');
  }

  const argv: string[] = [];
  for (const { arg, pieces: ps } of parsed) {
    const only = ps.length === 1 && 'code' in ps[0]! ? ps[0].code : null;
    // Codes that stand for a list of arguments must be the whole argument.
    if (only === null) {
      for (const p of ps) {
        if ('code' in p && (p.code === 'F' || p.code === 'U' || p.code === 'i')) {
          fail(`%${p.code} must be an argument on its own, not part of ${JSON.stringify(arg)}`);
        }
      }
    }
    if (only === 'F' || only === 'U') {
      argv.push(...targets);
      continue;
    }
    if (only === 'i') {
      if (ctx.icon !== '') argv.push('--icon', ctx.icon);
      continue;
    }
    if (only !== null && (DEPRECATED_CODES.has(only) || ((only === 'f' || only === 'u') && targets.length === 0))) continue;
    let out = '';
    for (const p of ps) {
      if ('text' in p) {
        out += p.text;
        continue;
      }
      switch (p.code) {
        case 'f':
        case 'u':
          out += targets[0] ?? '';
          break;
        case 'c':
          out += ctx.name;
          break;
        case 'k':
          out += ctx.location;
          break;
        default:
          if (!DEPRECATED_CODES.has(p.code)) fail(`unknown field code %${p.code} in ${JSON.stringify(arg)} (write %% for a literal %)`);
      }
    }
    argv.push(out);
  }
  if (argv.length === 0 || argv[0] === '') fail('no program to run');
  return argv;
}


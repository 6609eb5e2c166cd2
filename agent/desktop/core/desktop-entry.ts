// Parse the [Desktop Entry] group of a .desktop file (freedesktop Desktop Entry spec).
// Only what the agent shows or runs: names, icon, Exec. Locale: exact lang_COUNTRY, then lang.

export interface DesktopEntry {
  name: string;
  icon: string;
  exec: string;
  hidden: boolean; // Hidden=true: the user deleted it; treat as absent
  noDisplay: boolean;
}

/** The keys of the [Desktop Entry] group, unescaped; the first of a repeated key wins. */
export function desktopEntryKeys(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  let inEntry = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      inEntry = line === '[Desktop Entry]';
      continue;
    }
    if (!inEntry) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!keys.has(key)) keys.set(key, unescapeValue(line.slice(eq + 1).trim()));
  }
  return keys;
}

export function parseDesktopEntry(text: string, locale = ''): DesktopEntry | null {
  const lang = locale.split(/[.@]/)[0] ?? '';
  const short = lang.split('_')[0] ?? '';
  const keys = desktopEntryKeys(text);
  const name = (lang && keys.get(`Name[${lang}]`)) || (short && keys.get(`Name[${short}]`)) || keys.get('Name');
  if (name === undefined || keys.get('Type') === undefined) return null;
  return {
    name,
    icon: keys.get('Icon') ?? '',
    exec: keys.get('Exec') ?? '',
    hidden: keys.get('Hidden') === 'true',
    noDisplay: keys.get('NoDisplay') === 'true',
  };
}

function unescapeValue(v: string): string {
  return v.replace(/\\([sntr\\])/g, (_m, c: string) => ({ s: ' ', n: '\n', t: '\t', r: '\r', '\\': '\\' })[c] ?? c);
}

// The IO behind first-run.ts: is an activation file for the agent installed, and what did the
// user answer to the install offer. Node only, no Electron.
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AGENT_BUS_NAME } from '../../shared/names.js';
import { APPIMAGE_DIR, APPIMAGE_RECORD_NAME, parseAppImageInstallRecord, type AppImageInstallRecord } from '../../shared/appimage.js';
import { activationName, sessionServiceDirs, type InstallAnswer } from './first-run.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';

/** Whether any session service directory holds a file that activates org.headroom.Agent1. */
export async function agentActivatable(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  for (const dir of sessionServiceDirs({ HOME: env.HOME || homedir(), XDG_DATA_HOME: env.XDG_DATA_HOME, XDG_DATA_DIRS: env.XDG_DATA_DIRS })) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue; // a missing directory is the common case
    }
    for (const name of names.filter((n) => n.endsWith('.service'))) {
      try {
        if (activationName(await readFile(join(dir, name), 'utf8')) === AGENT_BUS_NAME) return true;
      } catch {
        // unreadable: the daemon cannot use it either
      }
    }
  }
  return false;
}

const answerFile = (env: NodeJS.ProcessEnv): string =>
  join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'headroom', 'tray.json');

export async function readInstallAnswer(env: NodeJS.ProcessEnv = process.env): Promise<InstallAnswer> {
  try {
    const parsed = JSON.parse(await readFile(answerFile(env), 'utf8')) as { installOffer?: unknown };
    return parsed.installOffer === 'never' ? 'never' : null;
  } catch {
    return null;
  }
}

export async function rememberNeverInstall(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const file = answerFile(env);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, JSON.stringify({ installOffer: 'never' }, null, 2) + '\n');
}

/** The record an install from an AppImage left, and whether the image it names still exists. */
export async function readAppImageInstall(env: NodeJS.ProcessEnv = process.env): Promise<{ record: AppImageInstallRecord | null; recordImageExists: boolean }> {
  const dataHome = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  let record: AppImageInstallRecord | null = null;
  try {
    record = parseAppImageInstallRecord(await readFile(join(dataHome, APPIMAGE_DIR, APPIMAGE_RECORD_NAME), 'utf8'));
  } catch {
    return { record: null, recordImageExists: false };
  }
  if (record === null) return { record, recordImageExists: false };
  try {
    await access(record.appImage);
    return { record, recordImageExists: true };
  } catch {
    return { record, recordImageExists: false };
  }
}

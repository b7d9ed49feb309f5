// Starts `yiwang demo` on a free port with a fresh store, and hands its address and sign-in
// names to the tests. YIWANG_BIN names the binary (default: the workspace's debug build).

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { TestProject } from 'vitest/node'

let server: ChildProcess | undefined
let data: string | undefined

export interface Demo {
  base: string
  password: string
  logins: Record<string, string>
}

declare module 'vitest' {
  export interface ProvidedContext {
    demo: Demo
  }
}

export async function setup(project: TestProject): Promise<void> {
  const bin = process.env.YIWANG_BIN ?? resolve(import.meta.dirname, '../../target/debug/yiwang')
  data = mkdtempSync(join(tmpdir(), 'yiwang-e2e-'))
  // Every page test signs in from this one address: more than a person's sign-ins a minute.
  server = spawn(bin, ['--data', data, '--listen', '127.0.0.1:0', '--sign-ins-per-minute', '600', 'demo'], {
    env: { ...process.env, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const demo = await new Promise<Demo>((resolveDemo, reject) => {
    let out = ''
    const logins: Record<string, string> = {}
    let password = ''
    server!.on('exit', (code) => reject(new Error(`yiwang demo exited (${code}) before serving:\n${out}`)))
    server!.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      for (const line of out.split('\n')) {
        const pw = line.match(/password is (\S+)/)
        if (pw) password = pw[1]
        const role = line.match(/^\s{2}(intake operator|shift chief|dispatcher|handler|grid member|inspector|supervisor|leader|resident)\s+(\S+)/)
        if (role) logins[role[1]] = role[2]
        const at = line.match(/serving at (http:\/\/[^/\s]+)/)
        if (at) resolveDemo({ base: at[1], password, logins })
      }
    })
  })
  project.provide('demo', demo)
}

export async function teardown(): Promise<void> {
  server?.kill('SIGTERM')
  if (data) rmSync(data, { recursive: true, force: true })
}

// Keyboard shortcuts of the workbench, for people who work a queue all day: j/k (or the arrows)
// move, Enter opens, x selects, a letter takes a step, ? shows the list on the page. Keys typed
// into a field are the field's own.

import type { Step } from './actions'

/** The letter of each step; unique among the steps of any one role (keys.test.ts). */
export const LETTER: Record<Step, string> = {
  file: 'f',
  void: 'v',
  merge: 'm',
  dispatch: 'd',
  accept: 'a',
  return: 'r',
  request_extension: 'e',
  approve_extension: 'y',
  refuse_extension: 'n',
  park: 'p',
  unpark: 'p',
  report_back: 'b',
  settle_in_grid: 'g',
  pass: 'y',
  fail: 'n',
  close: 'c',
  close_not_fixed: 'z',
  reopen: 'o',
  callback: 'h',
  urge: 'u',
  supervise: 's',
  escalate: 'e',
}

export type Command =
  | { kind: 'move'; by: 1 | -1 }
  | { kind: 'first' }
  | { kind: 'last' }
  | { kind: 'open' }
  | { kind: 'select' }
  | { kind: 'clear' }
  | { kind: 'help' }
  | { kind: 'step'; step: Step }

/** Whether a key event belongs to a text field, a list box or a button, not to the page. */
export function typing(target: EventTarget | null): boolean {
  if (!(target instanceof Element)) return false
  if (target.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]')) return true
  return false
}

/** The command a key press asks for, given the steps on offer; null when it is not ours. */
export function commandOf(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'target'>, steps: Step[]): Command | null {
  if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return null
  switch (e.key) {
    case 'j':
    case 'ArrowDown':
      return { kind: 'move', by: 1 }
    case 'k':
    case 'ArrowUp':
      return { kind: 'move', by: -1 }
    case 'Home':
      return { kind: 'first' }
    case 'End':
      return { kind: 'last' }
    case 'Enter':
      // Enter on a button or link is that control's own.
      return e.target instanceof Element && e.target.closest('button, a') ? null : { kind: 'open' }
    case 'x':
      return { kind: 'select' }
    case 'Escape':
      return { kind: 'clear' }
    case '?':
      return { kind: 'help' }
  }
  const step = steps.find((s) => LETTER[s] === e.key)
  return step ? { kind: 'step', step } : null
}

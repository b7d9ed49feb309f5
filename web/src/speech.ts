// Read-aloud (朗读) with the browser's own speech synthesis: the text of the page's main region,
// in the interface's language. No network, no extra package.

export function canSpeak(): boolean {
  return typeof window !== 'undefined' && 'speechSynthesis' in window
}

/** The text a listener needs from `root`: visible text, with controls' labels, in reading order. */
export function readableText(root: HTMLElement): string {
  return root.innerText.replace(/\s+\n/g, '\n').replace(/\n{2,}/g, '\n').trim()
}

export function speak(text: string, lang: string): void {
  if (!canSpeak()) return
  window.speechSynthesis.cancel()
  const utterance = new SpeechSynthesisUtterance(text)
  utterance.lang = lang === 'en' ? 'en-US' : 'zh-CN'
  utterance.rate = 0.9
  window.speechSynthesis.speak(utterance)
}

export function stopSpeaking(): void {
  if (canSpeak()) window.speechSynthesis.cancel()
}

// What a screen reader should hear that it would not otherwise: a reply that has finished,
// stopped or failed — once, not each token as it streams in. `Announcer.svelte` (in App) is the
// one polite live region that says it.

export const announcement = $state({ text: "", seq: 0 });

/** Has `text` read out politely (after whatever the reader is saying), even when it repeats. */
export function announce(text: string): void {
  announcement.text = text;
  announcement.seq++;
}

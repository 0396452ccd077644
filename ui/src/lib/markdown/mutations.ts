// What a MutationObserver's batch changed, cheaply: the decorations of a reply (code-block headers,
// image buttons) look at the whole reply only when a batch added or removed what they decorate. A
// streaming reply's frames add a few lines each, and searching a 2,000-line code block's 30,000
// nodes on every frame cost more than the frame's own rendering.

/** Whether `records` added or removed an element matching `selector`, or holding one. */
export function touches(records: readonly MutationRecord[], selector: string): boolean {
  for (const record of records) {
    for (const nodes of [record.addedNodes, record.removedNodes]) {
      for (const node of nodes) {
        if (node instanceof Element && (node.matches(selector) || node.querySelector(selector) !== null)) return true;
      }
    }
  }
  return false;
}

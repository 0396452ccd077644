// Drawing only the part of a long list that is in view: the items' offsets (where each one
// starts, and after the last one the whole height) and a binary search for the ones within a band
// of pixels. The sidebar's chats (fixed heights) and the conversation's messages (measured) use it.

/** `offsets[i]` is where item i starts; `offsets[n]` the whole height. */
export function offsetsFrom(heights: readonly number[]): number[] {
  const offsets = new Array<number>(heights.length + 1);
  offsets[0] = 0;
  for (let i = 0; i < heights.length; i++) offsets[i + 1] = offsets[i]! + heights[i]!;
  return offsets;
}

/** The first and last index (exclusive) of the items within `[top, bottom)`, `overscan` more either side. */
export function windowOf(offsets: readonly number[], top: number, bottom: number, overscan = 8): [number, number] {
  const n = offsets.length - 1;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid + 1]! <= top) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < n && offsets[end]! < bottom) end++;
  return [Math.max(0, lo - overscan), Math.min(n, end + overscan)];
}

// The questions a turn waits on — "may this tool call run?" — by chat, kept outside the views so
// a card still waits (and can be answered) after its chat was left and opened again. A pending
// question blocks only its own chat's turn.
import type { ConsentRequest, Message, ToolCallRecord } from "../../ipc";

export const consents: Record<number, ConsentRequest[]> = $state({});

/** A turn in `conversationId` asks about a call. */
export function ask(conversationId: number, request: ConsentRequest): void {
  const list = consents[conversationId] ?? [];
  consents[conversationId] = [...list.filter((r) => r.call_id !== request.call_id), request];
}

/** The question about `callId` is answered (or no longer stands). */
export function settle(conversationId: number, callId: number): void {
  const list = consents[conversationId];
  if (!list) return;
  const rest = list.filter((r) => r.call_id !== callId);
  if (rest.length > 0) consents[conversationId] = rest;
  else delete consents[conversationId];
}

/** The turn in `conversationId` ended: nothing there waits any more. */
export function settleAll(conversationId: number): void {
  delete consents[conversationId];
}

/** The question waiting about `call`, if one does. */
export function requestFor(call: ToolCallRecord, conversationId: number): ConsentRequest | undefined {
  if (call.decision !== "pending") return undefined;
  return consents[conversationId]?.find((r) => r.call_id === call.id);
}

/** Puts `call` (a new or updated record) into `calls`, in its place. */
export function withCall(calls: ToolCallRecord[], call: ToolCallRecord): ToolCallRecord[] {
  const at = calls.findIndex((c) => c.id === call.id);
  if (at >= 0) return calls.map((c, i) => (i === at ? call : c));
  return [...calls, call].sort((a, b) => a.position - b.position);
}

/** A finished reply that only called tools: its cards show it, not an empty bubble. */
export function onlyToolCalls(message: Message): boolean {
  return (
    message.role === "assistant" &&
    message.status === "complete" &&
    message.content === "" &&
    message.tool_calls.length > 0 &&
    !message.reasoning
  );
}

import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Conversation, ConversationCursor } from "../../ipc";

type Page = { items: Conversation[]; next: ConversationCursor | null };
const listConversations = vi.fn<(limit: number, cursor: ConversationCursor | null, filter: string | null) => Promise<Page>>();
const deleteConversation = vi.fn(async (_id: number) => {});
const getConversation = vi.fn(async (id: number) => chat(id));
vi.mock("../../ipc", () => ({
  AppError: { from: (e: unknown) => ({ code: "internal", message: String(e) }) },
  listConversations: (limit: number, cursor: ConversationCursor | null, filter: string | null) =>
    listConversations(limit, cursor, filter),
  deleteConversation: (id: number) => deleteConversation(id),
  getConversation: (id: number) => getConversation(id),
  createConversation: vi.fn(async () => chat(99)),
  renameConversation: vi.fn(async (id: number, title: string) => ({ ...chat(id), title })),
  setPinned: vi.fn(async () => {}),
}));

const { ConversationList, PAGE_SIZE } = await import("./conversations.svelte");

function chat(id: number, pinned = false): Conversation {
  return {
    id,
    title: `Chat ${id}`,
    system_prompt: "",
    model: null,
    params: {},
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    pinned,
    archived: false,
    title_source: "user",
    project_id: null,
  } as Conversation;
}

const ids = (list: InstanceType<typeof ConversationList>) => list.conversations.map((c) => c.id);
const cursor = (id: number) => ({ pinned: false, updated_at: "2026-01-01T00:00:00Z", id }) as unknown as ConversationCursor;

describe("ConversationList", () => {
  beforeEach(() => {
    listConversations.mockReset();
    deleteConversation.mockClear();
  });

  it("reads pages with the filter as typed, and never shows a chat twice", async () => {
    const list = new ConversationList();
    list.filter = "  trip ";
    listConversations.mockResolvedValueOnce({ items: [chat(1), chat(2)], next: cursor(2) });
    expect(await list.loadFirstPage()).toBe(1);
    expect(listConversations).toHaveBeenLastCalledWith(PAGE_SIZE, null, "trip");
    expect(list.applied).toBe("trip");
    expect(list.hasMore).toBe(true);
    listConversations.mockResolvedValueOnce({ items: [chat(2), chat(3)], next: null });
    await list.loadMore();
    expect(ids(list)).toEqual([1, 2, 3]);
    expect(list.hasMore).toBe(false);
    await list.loadMore();
    expect(listConversations).toHaveBeenCalledTimes(2);
  });

  it("moves a chat with a new reply to the top, after the pinned ones", async () => {
    const list = new ConversationList();
    listConversations.mockResolvedValueOnce({ items: [chat(1, true), chat(2), chat(3)], next: null });
    await list.loadFirstPage();
    await list.refresh(chat(3));
    expect(ids(list)).toEqual([1, 3, 2]);
  });

  it("keeps the newer of two refreshes that cross", async () => {
    const list = new ConversationList();
    let first!: (page: Page) => void;
    listConversations.mockReturnValueOnce(new Promise((resolve) => (first = resolve)));
    listConversations.mockResolvedValueOnce({ items: [chat(5)], next: null });
    const older = list.refresh(null);
    await list.refresh(null);
    first({ items: [chat(4)], next: null });
    await older;
    expect(ids(list)).toEqual([5]);
  });

  it("deletes a chat and says where it was; a failure leaves the list and says why", async () => {
    const list = new ConversationList();
    listConversations.mockResolvedValueOnce({ items: [chat(1), chat(2), chat(3)], next: null });
    await list.loadFirstPage();
    expect(await list.remove(2)).toBe(1);
    expect(ids(list)).toEqual([1, 3]);
    deleteConversation.mockRejectedValueOnce("locked");
    expect(await list.remove(3)).toBeNull();
    expect(ids(list)).toEqual([1, 3]);
    expect(list.error?.message).toBe("locked");
  });

  it("brings a chat far down the list to the top when it is opened from elsewhere", async () => {
    const list = new ConversationList();
    listConversations.mockResolvedValueOnce({ items: [chat(1)], next: cursor(1) });
    await list.loadFirstPage();
    expect(await list.ensureListed(1)).toBe(true);
    expect(await list.ensureListed(40)).toBe(true);
    expect(ids(list)).toEqual([40, 1]);
  });
});

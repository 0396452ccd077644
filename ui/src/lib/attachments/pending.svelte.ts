// The files waiting in one chat's composer, as a reactive controller: added by the attach button
// (a native dialog in Rust), a drop on the window (read in Rust, handed here by the chat's draft)
// or a paste (its bytes sent to Rust), shown as chips, removed with ×, and handed to the send as
// tokens. Rust holds the bytes; this holds what the chips show.
import {
  AppError,
  attachPasted,
  chooseAttachments,
  discardAttachment,
  type Attached,
  type PendingAttachment,
} from "../../ipc";

/** The most files one message carries (confab-core's MAX_ATTACHMENTS). */
export const MAX_ATTACHMENTS = 10;

export class PendingFiles {
  files = $state<PendingAttachment[]>([]);
  /** Why files were not attached, one message per file (each names its file). */
  refused = $state<string[]>([]);

  /** `changed` hears of every file the user adds or removes (the draft keeps them). */
  constructor(private readonly changed: () => void = () => {}) {}

  get tokens(): string[] {
    return this.files.map((f) => f.token);
  }

  /** Takes what Rust read: the good files join the chips, the others are explained. */
  take(result: Attached): void {
    const room = MAX_ATTACHMENTS - this.files.length;
    const kept = result.attached.slice(0, Math.max(0, room));
    for (const extra of result.attached.slice(kept.length)) void discardAttachment(extra.token);
    this.files = [...this.files, ...kept];
    if (kept.length > 0) this.changed();
    this.refused = [
      ...result.refused.map((e) => e.message),
      ...(kept.length < result.attached.length
        ? [`A message can carry at most ${MAX_ATTACHMENTS} files: send the others in a next one.`]
        : []),
    ];
  }

  async choose(): Promise<void> {
    try {
      this.take(await chooseAttachments());
    } catch (e) {
      this.refused = [AppError.from(e).message];
    }
  }

  /** A pasted file (an image from the clipboard): its bytes go to Rust to be checked. */
  async paste(file: File): Promise<void> {
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const held = await attachPasted(file.name || "pasted image", bytes);
      this.take({ attached: [held], refused: [] });
    } catch (e) {
      this.refused = [AppError.from(e).message];
    }
  }

  remove(token: string): void {
    this.files = this.files.filter((f) => f.token !== token);
    void discardAttachment(token);
    this.changed();
  }

  /** The files a saved draft held, back after a restart (Rust holds them again). */
  restore(files: PendingAttachment[]): void {
    this.files = files;
  }

  /** After a send: Rust has let the files go with the message. */
  clear(): void {
    this.files = [];
    this.refused = [];
  }

  /** The files will not be sent (their chat was deleted): Rust lets them go. */
  discardAll(): void {
    for (const file of this.files) void discardAttachment(file.token);
    this.clear();
  }
}

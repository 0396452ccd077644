// The sidebar's projects: the list with chat counts, each unfolded project's chats, and the
// changes made to them (create, rename, defaults, fold, delete, move a chat). The chats outside
// projects stay App.svelte's paged list; a project's chats are read here, a page of them at once.
import {
  AppError,
  createProject,
  deleteProject,
  listConversations,
  listProjects,
  moveToProject,
  renameProject,
  setProjectCollapsed,
  setProjectDefaults,
  type Conversation,
  type DeletedProject,
  type Project,
  type ProjectChats,
  type ProjectDefaults,
} from "../../ipc";

/** How many of a project's chats the sidebar reads at once. */
const PROJECT_PAGE = 500;

export class Projects {
  // Both replaced whole on every change, never mutated in place: raw, not deeply reactive.
  list = $state.raw<Project[]>([]);
  /** The chats of each project read so far, by project id. */
  chats = $state.raw<Record<number, Conversation[]>>({});
  error = $state<AppError | null>(null);

  async load() {
    try {
      this.list = await listProjects();
      await Promise.all(this.list.filter((p) => !p.collapsed).map((p) => this.loadChats(p.id)));
    } catch (e) {
      this.error = AppError.from(e);
    }
  }

  async loadChats(id: number) {
    const page = await listConversations(PROJECT_PAGE, null, null, { in: id });
    this.chats = { ...this.chats, [id]: page.items };
  }

  named(id: number | null): Project | null {
    return this.list.find((p) => p.id === id) ?? null;
  }

  /** Creates a project; throws (code `project_name_taken` for a taken name) so a dialog can say so. */
  async create(name: string, defaults: ProjectDefaults): Promise<Project> {
    const project = await createProject(name, defaults);
    this.list = [...this.list, project];
    this.chats = { ...this.chats, [project.id]: [] };
    return project;
  }

  async rename(id: number, name: string): Promise<Project> {
    return this.replace(await renameProject(id, name));
  }

  async saveDefaults(id: number, defaults: ProjectDefaults): Promise<Project> {
    return this.replace(await setProjectDefaults(id, defaults));
  }

  async toggle(project: Project) {
    const collapsed = !project.collapsed;
    // Fold at once; the saved state follows.
    this.list = this.list.map((p) => (p.id === project.id ? { ...p, collapsed } : p));
    try {
      this.replace(await setProjectCollapsed(project.id, collapsed));
      if (!collapsed) await this.loadChats(project.id);
    } catch (e) {
      this.error = AppError.from(e);
    }
  }

  async remove(id: number, chats: ProjectChats): Promise<DeletedProject> {
    const done = await deleteProject(id, chats);
    this.list = this.list.filter((p) => p.id !== id);
    const { [id]: _gone, ...rest } = this.chats;
    this.chats = rest;
    return done;
  }

  /** Moves a chat into `project` (or out with `null`); the counts and lists follow. */
  async move(chat: Conversation, project: number | null): Promise<Conversation> {
    const moved = await moveToProject(chat.id, project);
    const from = chat.project_id;
    this.list = this.list.map((p) =>
      p.id === from ? { ...p, chats: p.chats - 1 } : p.id === project ? { ...p, chats: p.chats + 1 } : p,
    );
    if (from !== null) await this.loadChats(from).catch(() => {});
    if (project !== null) await this.loadChats(project).catch(() => {});
    return moved;
  }

  /** A chat created in a project: it counts, and shows first. */
  added(chat: Conversation) {
    const id = chat.project_id;
    if (id === null) return;
    this.list = this.list.map((p) => (p.id === id ? { ...p, chats: p.chats + 1 } : p));
    this.chats = { ...this.chats, [id]: [chat, ...(this.chats[id] ?? [])] };
  }

  private replace(project: Project): Project {
    this.list = this.list.map((p) => (p.id === project.id ? project : p));
    return project;
  }
}

/** The app's chats indexed once for every project's list: by id, and those in each project. */
export type ChatIndex = { byId: Map<number, Conversation>; byProject: Map<number, Conversation[]> };

export function indexChats(known: readonly Conversation[]): ChatIndex {
  const byId = new Map<number, Conversation>();
  const byProject = new Map<number, Conversation[]>();
  for (const c of known) {
    byId.set(c.id, c);
    if (c.project_id === null) continue;
    const list = byProject.get(c.project_id);
    if (list) list.push(c);
    else byProject.set(c.project_id, [c]);
  }
  return { byId, byProject };
}

/**
 * A project's chats as the sidebar shows them: those read here, each replaced by the app's newer
 * copy when it has one (a rename, a new message), minus any the app knows moved elsewhere.
 * `known` is the app's chats, or their index when many projects are listed at once.
 */
export function chatsOf(project: number, read: readonly Conversation[], known: readonly Conversation[] | ChatIndex): Conversation[] {
  const index = Array.isArray(known) ? indexChats(known) : (known as ChatIndex);
  const out = read.map((c) => index.byId.get(c.id) ?? c).filter((c) => c.project_id === project);
  const seen = new Set(out.map((c) => c.id));
  for (const c of index.byProject.get(project) ?? []) if (!seen.has(c.id)) out.push(c);
  // Each time parsed once, not once per comparison.
  return out
    .map((c) => ({ c, at: Date.parse(c.updated_at) }))
    .sort((a, b) => Number(b.c.pinned) - Number(a.c.pinned) || b.at - a.at || b.c.id - a.c.id)
    .map(({ c }) => c);
}

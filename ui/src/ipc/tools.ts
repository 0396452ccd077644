// Tools through the one door to Rust. The page asks; Rust decides: adding a server, approving
// one and "Always allow" end in a native confirmation that Rust opens with the exact command
// line, and everything else names a server by id (and the definition hash the person saw).
import { invoke } from "@tauri-apps/api/core";
import type {
  AddedServer,
  Consent,
  ConsentOutcome,
  NewToolServer,
  ServerView,
  ToolServerChoice,
  ToolServerId,
  ToolsOverview,
} from "./types";
import { AppError } from "./index";

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw AppError.from(raw);
  }
}

/** Every tool server with its tools, and what is allowed without asking. */
export function listToolServers(): Promise<ToolsOverview> {
  return call("list_tool_servers");
}

/** Asks the person natively to add this server (showing its command line); null if they cancelled. */
export function addToolServer(server: NewToolServer): Promise<AddedServer | null> {
  return call("add_tool_server", { server });
}

/** Asks the person natively to approve the server as shown (`hash`); null if they cancelled. */
export function approveToolServer(id: number, hash: string): Promise<ServerView | null> {
  return call("approve_tool_server", { id, hash });
}

export function setToolServerOn(id: number, on: boolean): Promise<ServerView> {
  return call("set_tool_server_on", { id, on });
}

export function removeToolServer(id: number): Promise<void> {
  return call("remove_tool_server", { id });
}

export function revokeToolAllowance(id: number): Promise<void> {
  return call("revoke_tool_allowance", { id });
}

/** Opens the server's log with the system's opener (Rust chooses the file). */
export function openToolLog(id: number): Promise<void> {
  return call("open_tool_log", { id });
}

/** Answers a consent card ("Always allow" is confirmed natively first). */
export function decideToolCall(callId: number, consent: Consent): Promise<ConsentOutcome> {
  return call("decide_tool_call", { callId, consent });
}

export function getChatToolServers(id: number): Promise<ToolServerChoice> {
  return call("get_chat_tool_servers", { id });
}

/** A chat's own servers; null: its project's. */
export function setChatToolServers(id: number, servers: number[] | null): Promise<void> {
  return call("set_chat_tool_servers", { id, servers });
}

export function getProjectToolServers(id: number): Promise<ToolServerId[] | null> {
  return call("get_project_tool_servers", { id });
}

export function setProjectToolServers(id: number, servers: number[] | null): Promise<void> {
  return call("set_project_tool_servers", { id, servers });
}

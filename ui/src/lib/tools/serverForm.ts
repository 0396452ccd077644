// The Add form's fields, turned into the definition Rust checks and shows in its native
// confirmation. Nothing is parsed the way a shell would: one argument a line, exactly as typed.
import type { NewToolServer, Transport } from "../../ipc";

export interface ServerForm {
  name: string;
  transport: Transport;
  command: string;
  /** One argument a line. */
  args: string;
  /** One `NAME=value` a line. */
  env: string;
  cwd: string;
  url: string;
  /** One `Name: value` a line. */
  headers: string;
}

export const EMPTY_FORM: ServerForm = {
  name: "",
  transport: "stdio",
  command: "",
  args: "",
  env: "",
  cwd: "",
  url: "",
  headers: "",
};

function lines(text: string): string[] {
  return text.split("\n").map((l) => l.replace(/\r$/, "")).filter((l) => l.trim() !== "");
}

/** `NAME=value` lines (or `Name: value` with `sep` ":"), as a map; throws naming a bad line. */
function pairs(text: string, sep: "=" | ":", what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines(text)) {
    const at = line.indexOf(sep);
    if (at <= 0) throw new Error(`“${line}” is not ${what}`);
    const key = line.slice(0, at).trim();
    out[key] = sep === ":" ? line.slice(at + 1).trim() : line.slice(at + 1);
  }
  return out;
}

/** The definition to send; throws with a sentence a person can act on. */
export function toNewServer(form: ServerForm): NewToolServer {
  const name = form.name.trim();
  if (name === "") throw new Error("Give the server a name.");
  if (form.transport === "stdio") {
    if (form.command.trim() === "") throw new Error("Give the command to run (a program on PATH, or its full path).");
    return {
      name,
      transport: "stdio",
      command: form.command.trim(),
      args: lines(form.args),
      env: pairs(form.env, "=", "NAME=value"),
      cwd: form.cwd.trim() === "" ? null : form.cwd.trim(),
      url: null,
      headers: {},
    };
  }
  if (form.url.trim() === "") throw new Error("Give the server's URL, e.g. http://localhost:3001/mcp.");
  return {
    name,
    transport: "http",
    command: null,
    args: [],
    env: {},
    cwd: null,
    url: form.url.trim(),
    headers: pairs(form.headers, ":", "Name: value"),
  };
}

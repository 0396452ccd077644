import { describe, expect, it } from "vitest";
import { EMPTY_FORM, toNewServer } from "./serverForm";

describe("toNewServer", () => {
  it("takes one argument a line, exactly, and no shell", () => {
    const server = toNewServer({
      ...EMPTY_FORM,
      name: " files ",
      command: "npx",
      args: "-y\n@modelcontextprotocol/server-filesystem\n\n/home/me/my notes; rm -rf ~\n",
      env: "TOKEN=a=b\nEMPTY=",
      cwd: "/srv",
    });
    expect(server).toEqual({
      name: "files",
      transport: "stdio",
      command: "npx",
      args: ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/my notes; rm -rf ~"],
      env: { TOKEN: "a=b", EMPTY: "" },
      cwd: "/srv",
      url: null,
      headers: {},
    });
  });

  it("takes a URL with headers, and nothing of a command", () => {
    const server = toNewServer({
      ...EMPTY_FORM,
      name: "web",
      transport: "http",
      command: "ignored",
      url: " http://localhost:3001/mcp ",
      headers: "Authorization: Bearer abc:def\n",
    });
    expect(server.url).toBe("http://localhost:3001/mcp");
    expect(server.command).toBeNull();
    expect(server.headers).toEqual({ Authorization: "Bearer abc:def" });
  });

  it("says what is missing or malformed", () => {
    expect(() => toNewServer({ ...EMPTY_FORM, command: "x" })).toThrow(/name/);
    expect(() => toNewServer({ ...EMPTY_FORM, name: "a" })).toThrow(/command/);
    expect(() => toNewServer({ ...EMPTY_FORM, name: "a", command: "x", env: "NOVALUE" })).toThrow(/NOVALUE/);
    expect(() => toNewServer({ ...EMPTY_FORM, name: "a", transport: "http" })).toThrow(/URL/);
    expect(() => toNewServer({ ...EMPTY_FORM, name: "a", transport: "http", url: "http://x/mcp", headers: "bad" })).toThrow(/bad/);
  });
});

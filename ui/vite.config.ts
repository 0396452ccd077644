import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The desktop shell embeds ui/dist; `npm run dev` serves the same UI for `cargo run --no-default-features`.
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  // Tests mount components in jsdom, which needs Svelte's browser build (not its server one).
  resolve: mode === "test" ? { conditions: ["browser"] } : undefined,
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    target: "safari16",
    outDir: "dist",
    emptyOutDir: true,
    // Keep every asset a file: the CSP forbids data: scripts and inline code.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  test: {
    include: ["src/**/*.test.ts"],
  },
}));

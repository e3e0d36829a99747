import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built into the Python package, served by the app at /ops: `make run` needs no node.
export default defineConfig({
  base: "/ops/",
  plugins: [react()],
  build: {
    outDir: "../src/pointsmall/static/console",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy: { "/graphql": { target: "http://127.0.0.1:8000", ws: true } } },
});

import { defineConfig } from "vite";

// The app is served by Envoy on the API's own origin, so gRPC-Web needs no CORS in
// production. `npm run dev` (port 5173) talks to a running mesh through the proxy below.
const edge = process.env.SPEECHFLOW_EDGE ?? "http://localhost:8080";

export default defineConfig({
  // web/public is the fallback page served when the app is not built, not a Vite asset folder.
  publicDir: false,
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, target: "es2022" },
  server: {
    port: 5173,
    proxy: {
      "/speechflow.": { target: edge, changeOrigin: false },
      "/api/": { target: edge, changeOrigin: false },
    },
  },
});

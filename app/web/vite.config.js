// The built files are what Flask serves in development and what goes to the static site
// bucket on AWS, so asset URLs are root-relative and nothing comes from a CDN.
import { defineConfig } from 'vite';

const backend = process.env.CHAT_BACKEND || 'http://127.0.0.1:8000';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // maps are written for debugging here but not referenced from the bundle, and the release
    // package leaves them out: the public site never serves them (scripts/package.sh)
    sourcemap: 'hidden',
    target: 'es2020',
  },
  server: {
    // `npm run dev` serves the client with hot reload and forwards the API to a running service.
    proxy: {
      '/api': backend,
      '/socket.io': { target: backend, ws: true },
    },
  },
});

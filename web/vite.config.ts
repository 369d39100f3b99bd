import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` serves the console with hot reload and sends API calls to a
// running chroma-api (CHROMA_API, default http://127.0.0.1:8080).
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4000 },
  server: {
    proxy: { '/api': { target: process.env.CHROMA_API ?? 'http://127.0.0.1:8080', changeOrigin: false } },
  },
});

import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  plugins: [vue()],
  // The workspace packages resolve to their TypeScript sources, so the demo never needs their dist/.
  resolve: {
    conditions: ['source', 'browser', 'module', 'import', 'default'],
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) }
  },
  build: { target: 'es2022', chunkSizeWarningLimit: 1024 },
  server: { port: 5173 }
})

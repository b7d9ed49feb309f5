import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// `npm run dev` serves the front end with hot reload and sends /api to a running yiwang
// (YIWANG_API, default the demo's address).
const api = process.env.YIWANG_API ?? 'http://127.0.0.1:8080'

export default defineConfig({
  plugins: [vue()],
  server: { proxy: { '/api': api, '/open311': api } },
  build: {
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      output: {
        // ECharts and Leaflet are large and change rarely: their own cached chunks.
        manualChunks(id: string) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts'
          if (id.includes('node_modules/leaflet')) return 'leaflet'
        },
      },
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
  },
})

/// <reference types="vite/client" />
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}
import 'vue-router'
declare module 'vue-router' {
  interface RouteMeta {
    /** Only for people signed in. */
    signedIn?: boolean
    /** Only for staff. */
    staff?: boolean
  }
}

declare global {
  interface ImportMetaEnv {
    /** A tile server's address for the maps, e.g. `https://tiles.example.org/{z}/{x}/{y}.png` (none by default). */
    readonly VITE_MAP_TILES?: string
    /** The tile server's credit line. */
    readonly VITE_MAP_ATTRIBUTION?: string
  }
}

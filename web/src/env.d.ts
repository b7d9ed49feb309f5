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

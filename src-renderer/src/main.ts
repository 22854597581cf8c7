import { createPinia } from 'pinia'
import { createApp } from 'vue'
import { createServiceClient } from './api'
import App from './App.vue'
import { useSessionStore } from './stores/session'

const app = createApp(App).use(createPinia())
void useSessionStore().attach(createServiceClient())
app.mount('#app')

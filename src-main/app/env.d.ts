// electron-vite's import suffixes for the main process (`?asset`, `?modulePath`, ...).
/// <reference types="electron-vite/node" />

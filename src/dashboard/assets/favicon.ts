/** The dashboard's icon: three rising steps, in the accent colour, readable at 16 px. */
export const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#2f5bd3"/><path d="M3 13h3v-3h3V7h3V3h1v11H3z" fill="#fff"/></svg>`;

// Swagger UI assets are imported `with { type: 'file' }`: the import is a path that Bun.file() can read,
// inside the compiled binary too.
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const path: string;
  export default path;
}
declare module 'swagger-ui-dist/swagger-ui.css' {
  const path: string;
  export default path;
}

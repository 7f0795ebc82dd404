// The console's stylesheet and script are imported as text (`with { type: 'text' }`), so the binary embeds them.
declare module '*.css' {
  const text: string;
  export default text;
}
declare module '*/console.js' {
  const text: string;
  export default text;
}
declare module '*.svg' {
  const text: string;
  export default text;
}

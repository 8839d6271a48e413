/** The smallest Messages request Claude Code could send: one user turn, a small max_tokens. */
export function helloMessagesBody(stream: boolean): string {
  return JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 64,
    stream,
    messages: [{ role: 'user', content: 'hi' }],
  });
}

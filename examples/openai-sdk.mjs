// The official openai SDK against the gateway: list models, a chat, a stream.
// Run from the repository (it uses the openai package `make` installed): node examples/openai-sdk.mjs
// AQUEDUCT_KEY is your gateway key; OPENAI_BASE_URL defaults to http://localhost:8000/v1.
import OpenAI from 'openai';

const client = new OpenAI({
  baseURL: process.env.OPENAI_BASE_URL ?? 'http://localhost:8000/v1',
  apiKey: process.env.AQUEDUCT_KEY,
});
const model = process.env.CHAT_MODEL ?? 'demo-chat';

const models = [];
for await (const m of client.models.list()) models.push(m.id);
console.log('models:', models.join(', '));

const chat = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello from the openai SDK!' }] });
console.log('chat:', chat.choices[0].message.content, `(${chat.usage.prompt_tokens} in, ${chat.usage.completion_tokens} out)`);

process.stdout.write('stream: ');
const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'streamed word by word' }], stream: true });
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
process.stdout.write('\n');

// A batch from upload to output file with the official openai SDK: upload a JSONL file, create the batch,
// wait for it, print the output file. Run from the repository: node examples/batch.mjs
// AQUEDUCT_KEY is your gateway key; OPENAI_BASE_URL defaults to http://localhost:8000/v1.
import OpenAI, { toFile } from 'openai';

const client = new OpenAI({
  baseURL: process.env.OPENAI_BASE_URL ?? 'http://localhost:8000/v1',
  apiKey: process.env.AQUEDUCT_KEY,
});
const model = process.env.CHAT_MODEL ?? 'demo-chat';

const lines = ['What is a gateway?', 'What is a batch?', 'Why files?'].map((question, i) => ({
  custom_id: `question-${i + 1}`,
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model, messages: [{ role: 'user', content: question }] },
}));
const jsonl = lines.map((line) => JSON.stringify(line)).join('\n');
const input = await client.files.create({ file: await toFile(Buffer.from(jsonl), 'questions.jsonl'), purpose: 'batch' });
console.log('uploaded:', input.id);

let batch = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
console.log('batch:', batch.id, batch.status);
while (!['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  batch = await client.batches.retrieve(batch.id);
}
console.log('batch:', batch.id, batch.status, JSON.stringify(batch.request_counts));

const output = await (await client.files.content(batch.output_file_id)).text();
for (const line of output.trim().split('\n')) {
  const { custom_id, response } = JSON.parse(line);
  console.log(`${custom_id}: ${response.status_code} ${response.body.choices[0].message.content}`);
}

/**
 * /swagger (Swagger UI) and /swagger/json (OpenAPI 3.1). The UI's script and stylesheet are embedded in
 * the binary and served from /swagger/assets, so the page works with no internet. The generated
 * document gets its finishing touches (examples, plain integer parameters, operationIds) in
 * ./openapi-document.ts.
 */
import { openapi } from '@elysiajs/openapi';
import { Elysia } from 'elysia';
import { finishDocument, type DocumentExamples } from './openapi-document';
import bundlePath from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' };
import cssPath from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' };

const ASSETS = {
  'swagger-ui-bundle.js': { path: bundlePath, type: 'text/javascript; charset=utf-8' },
  'swagger-ui.css': { path: cssPath, type: 'text/css; charset=utf-8' },
} as const;

/** Bare API paths duplicate the /v1 ones; the document lists each route once, under /v1. */
const BARE_API_PATHS = /^\/(models|chat|completions|embeddings|audio|images|responses|files|batches|messages)(\/|$)/;

const SPEC_PATH = '/swagger/json';

export const docs = (version: string, examples: DocumentExamples) => {
  // The plugin builds its document once all routes are known and returns the same object from then on.
  let finished: { from: unknown; doc: unknown } | undefined;
  return new Elysia()
    .onAfterHandle(({ path, response }) => {
      if (path !== SPEC_PATH) return;
      if (finished === undefined || finished.from !== response) finished = { from: response, doc: finishDocument(response, examples) };
      return finished.doc;
    })
    .get(
      '/swagger/assets/:name',
      ({ params, set }) => {
        const asset = ASSETS[params.name as keyof typeof ASSETS];
        if (!asset) {
          set.status = 404;
          return 'not found';
        }
        return new Response(Bun.file(asset.path), {
          headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=86400' },
        });
      },
      { detail: { hide: true } },
    )
    .use(
      openapi({
        path: '/swagger',
        specPath: SPEC_PATH,
        provider: 'swagger-ui',
        // Not API: the docs themselves and the web console's pages and forms (/ui).
        exclude: { paths: [BARE_API_PATHS, /^\/swagger/, /^\/ui(\/|$)/] },
        swagger: {
          cdn: '/swagger/assets/swagger-ui-bundle.js',
          theme: '/swagger/assets/swagger-ui.css',
          persistAuthorization: true,
          // Not in the plugin's option type, but passed through to SwaggerUIBundle: an absolute spec url,
          // and no call to the online validator.
          ...({ url: SPEC_PATH, validatorUrl: null } as object),
        },
        documentation: {
          info: {
            title: 'Aqueduct AI Gateway',
            version,
            description:
              'OpenAI-compatible API gateway. Authenticate with `Authorization: Bearer <key>`. Every API route is also served without the `/v1` prefix.',
          },
          components: {
            securitySchemes: {
              bearerAuth: { type: 'http', scheme: 'bearer', description: 'A gateway key (sk-…)' },
              anthropicApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'A gateway key (sk-…), as Anthropic clients send it (/v1/messages only)' },
            },
          },
        },
      }),
    );
};

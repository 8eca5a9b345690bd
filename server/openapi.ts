// The OpenAPI 3.1 document, generated from the same zod schemas the routes validate with.
import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { ProblemSchema } from "./http/problem.js";
import { packageVersion } from "./version.js";

export function createRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.register("Problem", ProblemSchema);
  registry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "Access token from /api/v1/auth/login (15 minutes), or an API key (aip_...) as the bearer token",
  });
  registry.registerComponent("securitySchemes", "apiKey", {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description: "API key (aip_...); only on routes that name a scope",
  });
  registry.registerComponent("headers", "X-Request-Id", {
    description: "The request id (the client's X-Request-Id when it is a safe token, generated otherwise); also in problem bodies",
    schema: { type: "string" },
  });
  registry.registerComponent("headers", "RateLimit", {
    description: 'IETF draft-ietf-httpapi-ratelimit-headers-10, e.g. "default";r=299;t=60',
    schema: { type: "string" },
  });
  registry.registerComponent("headers", "RateLimit-Policy", {
    description: 'e.g. "default";q=300;w=60',
    schema: { type: "string" },
  });
  return registry;
}

export function generateDocument(registry: OpenAPIRegistry): object {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "AIPROD API",
      version: packageVersion(),
      description:
        "Video generation server. Errors are RFC 9457 application/problem+json with a stable `code`; every response carries X-Request-Id; rate-limited routes announce RateLimit-Policy and RateLimit.",
    },
    servers: [{ url: "/" }],
  });
}

// /api/v1/auth: register, login, refresh, logout.
import { defineRoute } from "../http/route.js";
import { LoginBody, RefreshBody, RegisterBody, TokenPairSchema } from "../schemas/auth.js";
import { UserSchema, userView } from "../schemas/users.js";

const tags = ["auth"];

export const authRoutes = [
  defineRoute({
    method: "post",
    path: "/api/v1/auth/register",
    operationId: "auth.register",
    summary: "Create an account (role user)",
    tags,
    auth: { public: true },
    resourceType: "user",
    body: RegisterBody,
    hashedFields: ["/password"],
    response: { status: 201, description: "The new account", schema: UserSchema },
    handler: async ({ req, body, services }) => userView(await services.auth.register(req, body)),
  }),
  defineRoute({
    method: "post",
    path: "/api/v1/auth/login",
    operationId: "auth.login",
    summary: "Exchange email and password for an access token (15 min) and a refresh token (7 days)",
    description: "Failed logins are limited per account and per IP address (429 with Retry-After beyond the limit).",
    tags,
    auth: { public: true },
    resourceType: "session",
    body: LoginBody,
    hashedFields: ["/password"],
    response: { status: 200, description: "Tokens", schema: TokenPairSchema },
    handler: ({ req, body, services }) => services.auth.login(req, body.email, body.password),
  }),
  defineRoute({
    method: "post",
    path: "/api/v1/auth/refresh",
    operationId: "auth.refresh",
    summary: "Rotate a refresh token: returns a new pair; the old refresh token stops working",
    description: "Presenting an already rotated refresh token revokes every token of its family.",
    tags,
    auth: { public: true },
    resourceType: "session",
    body: RefreshBody,
    response: { status: 200, description: "New tokens", schema: TokenPairSchema },
    handler: ({ req, body, services }) => services.auth.refresh(req, body.refresh_token),
  }),
  defineRoute({
    method: "post",
    path: "/api/v1/auth/logout",
    operationId: "auth.logout",
    summary: "Revoke a refresh token and its family",
    tags,
    auth: { public: true },
    resourceType: "session",
    body: RefreshBody,
    response: { status: 204, description: "Logged out (also when the token was unknown)" },
    handler: async ({ req, body, services }) => {
      await services.auth.logout(req, body.refresh_token);
      return undefined;
    },
  }),
];

// Audit trail: every authentication event and every mutating call, written before the response is sent.
import type { Request } from "express";
import type { Logger } from "pino";
import type { AuditLogsRepository } from "../repositories/auditLogsRepository.js";
import { redact } from "./redact.js";

export class AuditService {
  constructor(private readonly repo: AuditLogsRepository, private readonly logger: Logger) {}

  async recordRequest(req: Request, status: number): Promise<void> {
    const p = req.principal;
    const note = req.audit ?? {};
    const body = req.body && typeof req.body === "object" && Object.keys(req.body).length ? { body: redact(req.body) } : {};
    const resourceId = note.resourceId ?? (typeof req.params?.id === "string" ? req.params.id : undefined);
    try {
      await this.repo.insert({
        user_id: note.userId !== undefined ? note.userId : (p?.user.id ?? null),
        api_key_id: p?.kind === "api_key" ? p.apiKeyId : null,
        action: req.operationId ?? `http.${req.method.toLowerCase()}`,
        resource_type: req.resourceType ?? null,
        resource_id: resourceId ?? null,
        method: req.method,
        path: req.path.slice(0, 500),
        status,
        ip: req.ip ?? null,
        request_id: req.requestId,
        details: { ...body, ...(redact(note.details ?? {}) as object) },
      });
    } catch (e) {
      // An audit failure must not turn a finished operation into an error, but it must be visible.
      this.logger.error({ err: e, req_id: req.requestId }, "audit record failed");
    }
  }
}

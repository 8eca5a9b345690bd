// /api/v1/projects bodies.
import type { ProjectRow } from "../repositories/projectsRepository.js";
import { Description, Name, Timestamp, iso } from "./common.js";
import { z } from "./zod.js";

export const CreateProjectBody = z
  .object({ name: Name, description: Description.optional() })
  .strict()
  .openapi("CreateProjectRequest");

export const UpdateProjectBody = z
  .object({ name: Name.optional(), description: Description.optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "nothing to update" })
  .openapi("UpdateProjectRequest");

export const ProjectSchema = z
  .object({ id: z.uuid(), name: z.string(), description: z.string().nullable(), created_at: Timestamp, updated_at: Timestamp })
  .openapi("Project");

export const projectView = (p: ProjectRow): z.infer<typeof ProjectSchema> => ({
  id: p.id,
  name: p.name,
  description: p.description,
  created_at: iso(p.created_at) as string,
  updated_at: iso(p.updated_at) as string,
});

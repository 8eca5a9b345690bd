// zod with the OpenAPI extension (.openapi()) applied once; every server schema imports z from here.
import { extendZodWithOpenApi } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";

extendZodWithOpenApi(z);

export { z };

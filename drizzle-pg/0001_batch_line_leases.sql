ALTER TABLE "batch_lines" ADD COLUMN "lease_owner" text;--> statement-breakpoint
ALTER TABLE "batch_lines" ADD COLUMN "lease_until" bigint;--> statement-breakpoint
CREATE INDEX "batch_lines_lease_idx" ON "batch_lines" USING btree ("state","lease_until");
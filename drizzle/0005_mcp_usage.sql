ALTER TABLE `usage` ADD `mcp_server` text;--> statement-breakpoint
ALTER TABLE `usage` ADD `mcp_tool` text;
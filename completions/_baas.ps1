
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'baas' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'baas'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'baas' {
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a baas.toml: interactively, or from flags')
            [CompletionResult]::new('introspect', 'introspect', [CompletionResultType]::ParameterValue, 'Read a database or schema file into baas.toml')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the entities of the manifest, or one entity in detail')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check baas.toml and report every problem with its line and column')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare two schemas (manifests, live databases, schema files) and classify every change')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Plan, apply and inspect migrations')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Fail when the schema drifted (for CI)')
            [CompletionResult]::new('rules', 'rules', [CompletionResultType]::ParameterValue, 'Test the rules of baas.toml against a table of cases')
            [CompletionResult]::new('tenants', 'tenants', [CompletionResultType]::ParameterValue, 'Make, list, deactivate and drop the tenants of a manifest with [tenancy]')
            [CompletionResult]::new('codegen', 'codegen', [CompletionResultType]::ParameterValue, 'Generate typed clients and API documents from the manifest')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve a REST API that follows the manifest, reloading when it changes')
            [CompletionResult]::new('studio', 'studio', [CompletionResultType]::ParameterValue, 'Open the studio (the web admin page of `baas serve`) in the browser')
            [CompletionResult]::new('webhooks', 'webhooks', [CompletionResultType]::ParameterValue, 'List, retry and purge webhook deliveries')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'baas;init' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Project name [default: the directory''s name]')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'What to start from')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Connection string of an existing database, recorded as `[source] url`')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Replace an existing manifest')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing manifest')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;introspect' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'A database to read (the same as SOURCE; `--db` as in the other commands)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write the manifest [default: the --manifest path, ./baas.toml]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write the manifest [default: the --manifest path, ./baas.toml]')
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'Database schema to read (repeatable; PostgreSQL) [default: public]')
            [CompletionResult]::new('--sample', '--sample', [CompletionResultType]::ParameterName, 'Documents to sample per collection to infer its fields (MongoDB)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Format of a schema file [default: detected from its name and content]')
            [CompletionResult]::new('--dialect', '--dialect', [CompletionResultType]::ParameterName, 'SQL dialect of a dump [default: detected]')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'API key of a hosted source (Supabase service or anon key)')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the manifest to stdout instead of writing it')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Replace an existing manifest without asking')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing manifest without asking')
            [CompletionResult]::new('--fail-on-lossy', '--fail-on-lossy', [CompletionResultType]::ParameterName, 'Exit with code 1 when anything could not be represented (the ledger is not empty)')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Fail on statements a schema file importer would otherwise skip (with a ledger entry)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;show' {
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;validate' {
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;diff' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The "before" side: manifest path, migration folder, database URL or schema file [default: the newest migration''s snapshot]')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The "after" side: manifest path, migration folder, database URL or schema file [default: the working manifest]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'A database as the "before" side (the same as --from URL)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format (for JSON, use the global --json)')
            [CompletionResult]::new('--dialect', '--dialect', [CompletionResultType]::ParameterName, 'SQL dialect for `--format sql` [default: the manifest''s engine]')
            [CompletionResult]::new('--rename', '--rename', [CompletionResultType]::ParameterName, 'Treat a dropped and an added field or entity as a rename (repeatable), e.g. `--rename film.title=film.name`')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Folder holding the migrations [default: `migrations` beside the manifest]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;migrate' {
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Write the next migration (`migrations/NNNN_name/`) from the changes in baas.toml')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Apply pending migrations to a database, each in a transaction where the engine allows')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show which migrations are applied, pending or modified since they were applied')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Undo the last N applied migrations with their down scripts')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'baas;migrate;plan' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of the migration, e.g. `add_author_bio` (letters, digits, `_`, `-`)')
            [CompletionResult]::new('--dialect', '--dialect', [CompletionResultType]::ParameterName, 'Engine to write the scripts for [default: `[source] engine` of the manifest]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Folder holding the migrations [default: `migrations` beside the manifest]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;migrate;apply' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Database to migrate [default: `[source] url` of the manifest]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for another runner''s lock')
            [CompletionResult]::new('--tenants', '--tenants', [CompletionResultType]::ParameterName, 'Work on the tenants of the registry instead of one database: `all`, or slugs separated by commas')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many tenants to work on at once (with --tenants)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Folder holding the migrations [default: `migrations` beside the manifest]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would run, change nothing')
            [CompletionResult]::new('--baseline', '--baseline', [CompletionResultType]::ParameterName, 'Record the pending migrations as applied without running them, for a database that already has their schema (refused unless it matches the newest snapshot)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;migrate;status' {
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Also exit with code 1 when a migration is pending (for CI: "is this database up to date?")')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Database to inspect [default: `[source] url` of the manifest]')
            [CompletionResult]::new('--tenants', '--tenants', [CompletionResultType]::ParameterName, 'Work on the tenants of the registry instead of one database: `all`, or slugs separated by commas')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many tenants to work on at once (with --tenants)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Folder holding the migrations [default: `migrations` beside the manifest]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;migrate;down' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Database to migrate [default: `[source] url` of the manifest]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for another runner''s lock')
            [CompletionResult]::new('--tenants', '--tenants', [CompletionResultType]::ParameterName, 'Work on the tenants of the registry instead of one database: `all`, or slugs separated by commas')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many tenants to work on at once (with --tenants)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Folder holding the migrations [default: `migrations` beside the manifest]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would run, change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;migrate;help' {
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Write the next migration (`migrations/NNNN_name/`) from the changes in baas.toml')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Apply pending migrations to a database, each in a transaction where the engine allows')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show which migrations are applied, pending or modified since they were applied')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Undo the last N applied migrations with their down scripts')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'baas;migrate;help;plan' {
            break
        }
        'baas;migrate;help;apply' {
            break
        }
        'baas;migrate;help;status' {
            break
        }
        'baas;migrate;help;down' {
            break
        }
        'baas;migrate;help;help' {
            break
        }
        'baas;check' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Database to compare with the manifest [default: no database, compare with migrations]')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Which drift fails the check; below that level, drift is only a warning')
            [CompletionResult]::new('--tenants', '--tenants', [CompletionResultType]::ParameterName, 'Work on the tenants of the registry instead of one database: `all`, or slugs separated by commas')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many tenants to work on at once (with --tenants)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Folder holding the migrations [default: `migrations` beside the manifest]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;rules' {
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run a table of cases (claims, action, row or body, expected allow or deny) against the rules, and against PostgreSQL''s policies with --url')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'baas;rules;test' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'A PostgreSQL database whose policies (`[auth] rls = true`, applied by `migrate apply`) must agree with the rules')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;rules;help' {
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run a table of cases (claims, action, row or body, expected allow or deny) against the rules, and against PostgreSQL''s policies with --url')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'baas;rules;help;test' {
            break
        }
        'baas;rules;help;help' {
            break
        }
        'baas;tenants' {
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Make a tenant: its file, schema or database, with every migration applied (all or nothing)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the tenants of the registry')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one tenant')
            [CompletionResult]::new('deactivate', 'deactivate', [CompletionResultType]::ParameterValue, 'Stop serving a tenant (its rows are kept)')
            [CompletionResult]::new('activate', 'activate', [CompletionResultType]::ParameterValue, 'Serve a deactivated tenant again')
            [CompletionResult]::new('drop', 'drop', [CompletionResultType]::ParameterValue, 'Drop a tenant with all its rows (asks first, or --yes)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'baas;tenants;create' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'A display name (with one slug)')
            [CompletionResult]::new('--pool-size', '--pool-size', [CompletionResultType]::ParameterName, 'Connections the tenant''s pool holds at most, 1 to 100 [default: 8] (database tenants)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Folder holding the migrations [default: `migrations` beside the manifest]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;tenants;list' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Folder holding the migrations [default: `migrations` beside the manifest]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;tenants;show' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Folder holding the migrations [default: `migrations` beside the manifest]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;tenants;deactivate' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Folder holding the migrations [default: `migrations` beside the manifest]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;tenants;activate' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Folder holding the migrations [default: `migrations` beside the manifest]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;tenants;drop' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Folder holding the migrations [default: `migrations` beside the manifest]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--keep-rows', '--keep-rows', [CompletionResultType]::ParameterName, 'A `row` tenant: remove it from the registry but keep its rows in the shared tables')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;tenants;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Make a tenant: its file, schema or database, with every migration applied (all or nothing)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the tenants of the registry')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one tenant')
            [CompletionResult]::new('deactivate', 'deactivate', [CompletionResultType]::ParameterValue, 'Stop serving a tenant (its rows are kept)')
            [CompletionResult]::new('activate', 'activate', [CompletionResultType]::ParameterValue, 'Serve a deactivated tenant again')
            [CompletionResult]::new('drop', 'drop', [CompletionResultType]::ParameterValue, 'Drop a tenant with all its rows (asks first, or --yes)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'baas;tenants;help;create' {
            break
        }
        'baas;tenants;help;list' {
            break
        }
        'baas;tenants;help;show' {
            break
        }
        'baas;tenants;help;deactivate' {
            break
        }
        'baas;tenants;help;activate' {
            break
        }
        'baas;tenants;help;drop' {
            break
        }
        'baas;tenants;help;help' {
            break
        }
        'baas;codegen' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Directory to write into [default: generated/<target>]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Directory to write into [default: generated/<target>]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Write nothing; exit 1 when the files on disk are stale (for CI)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;serve' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port to listen on')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Address to bind')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Database to serve [default: `[source] url` of the manifest, else the embedded SQLite file]')
            [CompletionResult]::new('--header-timeout', '--header-timeout', [CompletionResultType]::ParameterName, 'Seconds a client has to send a request''s headers; idle keep-alive connections close after it too [default: `[api] header_timeout_seconds`, else 10]')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Seconds a request may take [default: `[api] request_timeout_seconds`, else 30]')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Open connections at most; more are answered 503 [default: `[api] max_connections`, else 1024 or fewer under a low open-files limit]')
            [CompletionResult]::new('--upstream', '--upstream', [CompletionResultType]::ParameterName, 'Serve the manifest''s API by calling the upstream API at this base URL [default: `[source] url` with `engine = "http"`, else `[api] base_url`]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--example', '--example', [CompletionResultType]::ParameterName, 'Serve the bundled example manifest with example rows')
            [CompletionResult]::new('--accept-data-loss', '--accept-data-loss', [CompletionResultType]::ParameterName, 'Apply destructive manifest changes to the embedded dev database on reload')
            [CompletionResult]::new('--no-studio', '--no-studio', [CompletionResultType]::ParameterName, 'Do not serve the studio (the web admin page at `/_studio`, where `/` redirects)')
            [CompletionResult]::new('--postgrest', '--postgrest', [CompletionResultType]::ParameterName, 'Also serve the PostgREST-compatible profile, at `/rest/v1` [default: `[api] postgrest`]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;studio' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port of the running server')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port of the running server')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Address of the running server')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--no-open', '--no-open', [CompletionResultType]::ParameterName, 'Only print the URL; do not start a browser')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;webhooks' {
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List deliveries, newest first, with how many are in each state')
            [CompletionResult]::new('retry', 'retry', [CompletionResultType]::ParameterValue, 'Deliver again now, attempts reset: the given deliveries, or every dead one')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete delivered deliveries (and dead ones with --dead)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'baas;webhooks;list' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database whose outbox to read [default: `.baas/outbox.sqlite3` for an upstream API''s manifest, else `[source] url` of the manifest, else the embedded `.baas/dev.sqlite3`]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Only deliveries in this state')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most this many deliveries')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;webhooks;retry' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database whose outbox to read [default: `.baas/outbox.sqlite3` for an upstream API''s manifest, else `[source] url` of the manifest, else the embedded `.baas/dev.sqlite3`]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--all-dead', '--all-dead', [CompletionResultType]::ParameterName, 'Every dead delivery')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;webhooks;purge' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The database whose outbox to read [default: `.baas/outbox.sqlite3` for an upstream API''s manifest, else `[source] url` of the manifest, else the embedded `.baas/dev.sqlite3`]')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--dead', '--dead', [CompletionResultType]::ParameterName, 'Delete the dead deliveries too')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;webhooks;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List deliveries, newest first, with how many are in each state')
            [CompletionResult]::new('retry', 'retry', [CompletionResultType]::ParameterValue, 'Deliver again now, attempts reset: the given deliveries, or every dead one')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete delivered deliveries (and dead ones with --dead)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'baas;webhooks;help;list' {
            break
        }
        'baas;webhooks;help;retry' {
            break
        }
        'baas;webhooks;help;purge' {
            break
        }
        'baas;webhooks;help;help' {
            break
        }
        'baas;completions' {
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Path of the manifest to read or write')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of tables and prose')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every question (never prompt); needed for risky steps without a terminal')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never use colors (also when the NO_COLOR environment variable is set)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'baas;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a baas.toml: interactively, or from flags')
            [CompletionResult]::new('introspect', 'introspect', [CompletionResultType]::ParameterValue, 'Read a database or schema file into baas.toml')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the entities of the manifest, or one entity in detail')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check baas.toml and report every problem with its line and column')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare two schemas (manifests, live databases, schema files) and classify every change')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Plan, apply and inspect migrations')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Fail when the schema drifted (for CI)')
            [CompletionResult]::new('rules', 'rules', [CompletionResultType]::ParameterValue, 'Test the rules of baas.toml against a table of cases')
            [CompletionResult]::new('tenants', 'tenants', [CompletionResultType]::ParameterValue, 'Make, list, deactivate and drop the tenants of a manifest with [tenancy]')
            [CompletionResult]::new('codegen', 'codegen', [CompletionResultType]::ParameterValue, 'Generate typed clients and API documents from the manifest')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve a REST API that follows the manifest, reloading when it changes')
            [CompletionResult]::new('studio', 'studio', [CompletionResultType]::ParameterValue, 'Open the studio (the web admin page of `baas serve`) in the browser')
            [CompletionResult]::new('webhooks', 'webhooks', [CompletionResultType]::ParameterValue, 'List, retry and purge webhook deliveries')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'baas;help;init' {
            break
        }
        'baas;help;introspect' {
            break
        }
        'baas;help;show' {
            break
        }
        'baas;help;validate' {
            break
        }
        'baas;help;diff' {
            break
        }
        'baas;help;migrate' {
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Write the next migration (`migrations/NNNN_name/`) from the changes in baas.toml')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Apply pending migrations to a database, each in a transaction where the engine allows')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show which migrations are applied, pending or modified since they were applied')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Undo the last N applied migrations with their down scripts')
            break
        }
        'baas;help;migrate;plan' {
            break
        }
        'baas;help;migrate;apply' {
            break
        }
        'baas;help;migrate;status' {
            break
        }
        'baas;help;migrate;down' {
            break
        }
        'baas;help;check' {
            break
        }
        'baas;help;rules' {
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run a table of cases (claims, action, row or body, expected allow or deny) against the rules, and against PostgreSQL''s policies with --url')
            break
        }
        'baas;help;rules;test' {
            break
        }
        'baas;help;tenants' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Make a tenant: its file, schema or database, with every migration applied (all or nothing)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the tenants of the registry')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one tenant')
            [CompletionResult]::new('deactivate', 'deactivate', [CompletionResultType]::ParameterValue, 'Stop serving a tenant (its rows are kept)')
            [CompletionResult]::new('activate', 'activate', [CompletionResultType]::ParameterValue, 'Serve a deactivated tenant again')
            [CompletionResult]::new('drop', 'drop', [CompletionResultType]::ParameterValue, 'Drop a tenant with all its rows (asks first, or --yes)')
            break
        }
        'baas;help;tenants;create' {
            break
        }
        'baas;help;tenants;list' {
            break
        }
        'baas;help;tenants;show' {
            break
        }
        'baas;help;tenants;deactivate' {
            break
        }
        'baas;help;tenants;activate' {
            break
        }
        'baas;help;tenants;drop' {
            break
        }
        'baas;help;codegen' {
            break
        }
        'baas;help;serve' {
            break
        }
        'baas;help;studio' {
            break
        }
        'baas;help;webhooks' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List deliveries, newest first, with how many are in each state')
            [CompletionResult]::new('retry', 'retry', [CompletionResultType]::ParameterValue, 'Deliver again now, attempts reset: the given deliveries, or every dead one')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete delivered deliveries (and dead ones with --dead)')
            break
        }
        'baas;help;webhooks;list' {
            break
        }
        'baas;help;webhooks;retry' {
            break
        }
        'baas;help;webhooks;purge' {
            break
        }
        'baas;help;completions' {
            break
        }
        'baas;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

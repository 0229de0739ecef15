# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_baas_global_optspecs
    string join \n manifest= json q/quiet y/yes no-color h/help V/version
end

function __fish_baas_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_baas_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_baas_using_subcommand
    set -l cmd (__fish_baas_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c baas -n "__fish_baas_needs_command" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_needs_command" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_needs_command" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_needs_command" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_needs_command" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c baas -n "__fish_baas_needs_command" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_needs_command" -f -a "init" -d 'Create a baas.toml: interactively, or from flags'
complete -c baas -n "__fish_baas_needs_command" -f -a "introspect" -d 'Read a database or schema file into baas.toml'
complete -c baas -n "__fish_baas_needs_command" -f -a "show" -d 'Show the entities of the manifest, or one entity in detail'
complete -c baas -n "__fish_baas_needs_command" -f -a "validate" -d 'Check baas.toml and report every problem with its line and column'
complete -c baas -n "__fish_baas_needs_command" -f -a "diff" -d 'Compare two schemas (manifests, live databases, schema files) and classify every change'
complete -c baas -n "__fish_baas_needs_command" -f -a "migrate" -d 'Plan, apply and inspect migrations'
complete -c baas -n "__fish_baas_needs_command" -f -a "check" -d 'Fail when the schema drifted (for CI)'
complete -c baas -n "__fish_baas_needs_command" -f -a "rules" -d 'Test the rules of baas.toml against a table of cases'
complete -c baas -n "__fish_baas_needs_command" -f -a "tenants" -d 'Make, list, deactivate and drop the tenants of a manifest with [tenancy]'
complete -c baas -n "__fish_baas_needs_command" -f -a "codegen" -d 'Generate typed clients and API documents from the manifest'
complete -c baas -n "__fish_baas_needs_command" -f -a "serve" -d 'Serve a REST API that follows the manifest, reloading when it changes'
complete -c baas -n "__fish_baas_needs_command" -f -a "studio" -d 'Open the studio (the web admin page of `baas serve`) in the browser'
complete -c baas -n "__fish_baas_needs_command" -f -a "webhooks" -d 'List, retry and purge webhook deliveries'
complete -c baas -n "__fish_baas_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c baas -n "__fish_baas_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c baas -n "__fish_baas_using_subcommand init" -l name -d 'Project name [default: the directory\'s name]' -r
complete -c baas -n "__fish_baas_using_subcommand init" -l template -d 'What to start from' -r -f -a "empty\t'Only the `[manifest]` and `[project]` tables'
bookshop\t'A small bookshop: authors, books and reviews, with an enum, checks and relations'"
complete -c baas -n "__fish_baas_using_subcommand init" -l db -d 'Connection string of an existing database, recorded as `[source] url`' -r
complete -c baas -n "__fish_baas_using_subcommand init" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand init" -s f -l force -d 'Replace an existing manifest'
complete -c baas -n "__fish_baas_using_subcommand init" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand init" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand init" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand init" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c baas -n "__fish_baas_using_subcommand init" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand introspect" -l db -d 'A database to read (the same as SOURCE; `--db` as in the other commands)' -r
complete -c baas -n "__fish_baas_using_subcommand introspect" -s o -l out -d 'Where to write the manifest [default: the --manifest path, ./baas.toml]' -r -F
complete -c baas -n "__fish_baas_using_subcommand introspect" -l schema -d 'Database schema to read (repeatable; PostgreSQL) [default: public]' -r
complete -c baas -n "__fish_baas_using_subcommand introspect" -l sample -d 'Documents to sample per collection to infer its fields (MongoDB)' -r
complete -c baas -n "__fish_baas_using_subcommand introspect" -l format -d 'Format of a schema file [default: detected from its name and content]' -r -f -a "sql\t'SQL DDL or a dump (PostgreSQL, MySQL, SQLite)'
prisma\t'A Prisma schema (`schema.prisma`, or a folder of them)'
jsonschema\t'JSON Schema (draft-04 to 2020-12)'
openapi\t'OpenAPI 3.0 / 3.1 or Swagger 2.0 (JSON or YAML)'
graphql\t'GraphQL SDL'
data\t'Documents: a json-server `db.json`, or NDJSON / mongoexport output'"
complete -c baas -n "__fish_baas_using_subcommand introspect" -l dialect -d 'SQL dialect of a dump [default: detected]' -r -f -a "postgres\t''
mysql\t''
sqlite\t''"
complete -c baas -n "__fish_baas_using_subcommand introspect" -l key -d 'API key of a hosted source (Supabase service or anon key)' -r
complete -c baas -n "__fish_baas_using_subcommand introspect" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand introspect" -l dry-run -d 'Print the manifest to stdout instead of writing it'
complete -c baas -n "__fish_baas_using_subcommand introspect" -s f -l force -d 'Replace an existing manifest without asking'
complete -c baas -n "__fish_baas_using_subcommand introspect" -l fail-on-lossy -d 'Exit with code 1 when anything could not be represented (the ledger is not empty)'
complete -c baas -n "__fish_baas_using_subcommand introspect" -l strict -d 'Fail on statements a schema file importer would otherwise skip (with a ledger entry)'
complete -c baas -n "__fish_baas_using_subcommand introspect" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand introspect" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand introspect" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand introspect" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand introspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c baas -n "__fish_baas_using_subcommand introspect" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand show" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand show" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand show" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand show" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand show" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand show" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand show" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand validate" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand validate" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand validate" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand validate" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand validate" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand validate" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand validate" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand diff" -l from -d 'The "before" side: manifest path, migration folder, database URL or schema file [default: the newest migration\'s snapshot]' -r
complete -c baas -n "__fish_baas_using_subcommand diff" -l to -d 'The "after" side: manifest path, migration folder, database URL or schema file [default: the working manifest]' -r
complete -c baas -n "__fish_baas_using_subcommand diff" -l db -d 'A database as the "before" side (the same as --from URL)' -r
complete -c baas -n "__fish_baas_using_subcommand diff" -l format -d 'Output format (for JSON, use the global --json)' -r -f -a "table\t'A table for humans'
sql\t'The SQL that would apply the changes'"
complete -c baas -n "__fish_baas_using_subcommand diff" -l dialect -d 'SQL dialect for `--format sql` [default: the manifest\'s engine]' -r -f -a "postgres\t''
mysql\t''
sqlite\t''"
complete -c baas -n "__fish_baas_using_subcommand diff" -l rename -d 'Treat a dropped and an added field or entity as a rename (repeatable), e.g. `--rename film.title=film.name`' -r
complete -c baas -n "__fish_baas_using_subcommand diff" -l dir -d 'Folder holding the migrations [default: `migrations` beside the manifest]' -r -F
complete -c baas -n "__fish_baas_using_subcommand diff" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand diff" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand diff" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand diff" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand diff" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c baas -n "__fish_baas_using_subcommand diff" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand migrate; and not __fish_seen_subcommand_from plan apply status down help" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand migrate; and not __fish_seen_subcommand_from plan apply status down help" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand migrate; and not __fish_seen_subcommand_from plan apply status down help" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand migrate; and not __fish_seen_subcommand_from plan apply status down help" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand migrate; and not __fish_seen_subcommand_from plan apply status down help" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand migrate; and not __fish_seen_subcommand_from plan apply status down help" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand migrate; and not __fish_seen_subcommand_from plan apply status down help" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand migrate; and not __fish_seen_subcommand_from plan apply status down help" -f -a "plan" -d 'Write the next migration (`migrations/NNNN_name/`) from the changes in baas.toml'
complete -c baas -n "__fish_baas_using_subcommand migrate; and not __fish_seen_subcommand_from plan apply status down help" -f -a "apply" -d 'Apply pending migrations to a database, each in a transaction where the engine allows'
complete -c baas -n "__fish_baas_using_subcommand migrate; and not __fish_seen_subcommand_from plan apply status down help" -f -a "status" -d 'Show which migrations are applied, pending or modified since they were applied'
complete -c baas -n "__fish_baas_using_subcommand migrate; and not __fish_seen_subcommand_from plan apply status down help" -f -a "down" -d 'Undo the last N applied migrations with their down scripts'
complete -c baas -n "__fish_baas_using_subcommand migrate; and not __fish_seen_subcommand_from plan apply status down help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from plan" -l name -d 'Name of the migration, e.g. `add_author_bio` (letters, digits, `_`, `-`)' -r
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from plan" -l dialect -d 'Engine to write the scripts for [default: `[source] engine` of the manifest]' -r -f -a "postgres\t''
mysql\t''
sqlite\t''
mongodb\t''"
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from plan" -l dir -d 'Folder holding the migrations [default: `migrations` beside the manifest]' -r -F
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from plan" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from plan" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from plan" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from plan" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from plan" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from plan" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from plan" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from apply" -l db -d 'Database to migrate [default: `[source] url` of the manifest]' -r
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from apply" -l lock-timeout -d 'Seconds to wait for another runner\'s lock' -r
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from apply" -l tenants -d 'Work on the tenants of the registry instead of one database: `all`, or slugs separated by commas' -r
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from apply" -l concurrency -d 'How many tenants to work on at once (with --tenants)' -r
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from apply" -l dir -d 'Folder holding the migrations [default: `migrations` beside the manifest]' -r -F
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from apply" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from apply" -l dry-run -d 'Print what would run, change nothing'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from apply" -l baseline -d 'Record the pending migrations as applied without running them, for a database that already has their schema (refused unless it matches the newest snapshot)'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from apply" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from apply" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from apply" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from apply" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from apply" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from apply" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from status" -l fail-on -d 'Also exit with code 1 when a migration is pending (for CI: "is this database up to date?")' -r -f -a "pending\t'A migration not applied yet'"
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from status" -l db -d 'Database to inspect [default: `[source] url` of the manifest]' -r
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from status" -l tenants -d 'Work on the tenants of the registry instead of one database: `all`, or slugs separated by commas' -r
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from status" -l concurrency -d 'How many tenants to work on at once (with --tenants)' -r
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from status" -l dir -d 'Folder holding the migrations [default: `migrations` beside the manifest]' -r -F
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from status" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from status" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from status" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from status" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from down" -l db -d 'Database to migrate [default: `[source] url` of the manifest]' -r
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from down" -l lock-timeout -d 'Seconds to wait for another runner\'s lock' -r
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from down" -l tenants -d 'Work on the tenants of the registry instead of one database: `all`, or slugs separated by commas' -r
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from down" -l concurrency -d 'How many tenants to work on at once (with --tenants)' -r
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from down" -l dir -d 'Folder holding the migrations [default: `migrations` beside the manifest]' -r -F
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from down" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from down" -l dry-run -d 'Print what would run, change nothing'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from down" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from down" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from down" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from down" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from down" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from down" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "plan" -d 'Write the next migration (`migrations/NNNN_name/`) from the changes in baas.toml'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "apply" -d 'Apply pending migrations to a database, each in a transaction where the engine allows'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show which migrations are applied, pending or modified since they were applied'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "down" -d 'Undo the last N applied migrations with their down scripts'
complete -c baas -n "__fish_baas_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c baas -n "__fish_baas_using_subcommand check" -l db -d 'Database to compare with the manifest [default: no database, compare with migrations]' -r
complete -c baas -n "__fish_baas_using_subcommand check" -l fail-on -d 'Which drift fails the check; below that level, drift is only a warning' -r -f -a "destructive\t'Fail only when drift includes destructive changes'
needs-review\t'Fail when drift includes destructive changes or changes to review'
any\t'Fail on any drift'"
complete -c baas -n "__fish_baas_using_subcommand check" -l tenants -d 'Work on the tenants of the registry instead of one database: `all`, or slugs separated by commas' -r
complete -c baas -n "__fish_baas_using_subcommand check" -l concurrency -d 'How many tenants to work on at once (with --tenants)' -r
complete -c baas -n "__fish_baas_using_subcommand check" -l dir -d 'Folder holding the migrations [default: `migrations` beside the manifest]' -r -F
complete -c baas -n "__fish_baas_using_subcommand check" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand check" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand check" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand check" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand check" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c baas -n "__fish_baas_using_subcommand check" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand rules; and not __fish_seen_subcommand_from test help" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand rules; and not __fish_seen_subcommand_from test help" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand rules; and not __fish_seen_subcommand_from test help" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand rules; and not __fish_seen_subcommand_from test help" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand rules; and not __fish_seen_subcommand_from test help" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand rules; and not __fish_seen_subcommand_from test help" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand rules; and not __fish_seen_subcommand_from test help" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand rules; and not __fish_seen_subcommand_from test help" -f -a "test" -d 'Run a table of cases (claims, action, row or body, expected allow or deny) against the rules, and against PostgreSQL\'s policies with --url'
complete -c baas -n "__fish_baas_using_subcommand rules; and not __fish_seen_subcommand_from test help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c baas -n "__fish_baas_using_subcommand rules; and __fish_seen_subcommand_from test" -l url -d 'A PostgreSQL database whose policies (`[auth] rls = true`, applied by `migrate apply`) must agree with the rules' -r
complete -c baas -n "__fish_baas_using_subcommand rules; and __fish_seen_subcommand_from test" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand rules; and __fish_seen_subcommand_from test" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand rules; and __fish_seen_subcommand_from test" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand rules; and __fish_seen_subcommand_from test" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand rules; and __fish_seen_subcommand_from test" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand rules; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand rules; and __fish_seen_subcommand_from test" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "test" -d 'Run a table of cases (claims, action, row or body, expected allow or deny) against the rules, and against PostgreSQL\'s policies with --url'
complete -c baas -n "__fish_baas_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c baas -n "__fish_baas_using_subcommand tenants; and not __fish_seen_subcommand_from create list show deactivate activate drop help" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand tenants; and not __fish_seen_subcommand_from create list show deactivate activate drop help" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand tenants; and not __fish_seen_subcommand_from create list show deactivate activate drop help" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand tenants; and not __fish_seen_subcommand_from create list show deactivate activate drop help" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand tenants; and not __fish_seen_subcommand_from create list show deactivate activate drop help" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand tenants; and not __fish_seen_subcommand_from create list show deactivate activate drop help" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand tenants; and not __fish_seen_subcommand_from create list show deactivate activate drop help" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand tenants; and not __fish_seen_subcommand_from create list show deactivate activate drop help" -f -a "create" -d 'Make a tenant: its file, schema or database, with every migration applied (all or nothing)'
complete -c baas -n "__fish_baas_using_subcommand tenants; and not __fish_seen_subcommand_from create list show deactivate activate drop help" -f -a "list" -d 'List the tenants of the registry'
complete -c baas -n "__fish_baas_using_subcommand tenants; and not __fish_seen_subcommand_from create list show deactivate activate drop help" -f -a "show" -d 'Show one tenant'
complete -c baas -n "__fish_baas_using_subcommand tenants; and not __fish_seen_subcommand_from create list show deactivate activate drop help" -f -a "deactivate" -d 'Stop serving a tenant (its rows are kept)'
complete -c baas -n "__fish_baas_using_subcommand tenants; and not __fish_seen_subcommand_from create list show deactivate activate drop help" -f -a "activate" -d 'Serve a deactivated tenant again'
complete -c baas -n "__fish_baas_using_subcommand tenants; and not __fish_seen_subcommand_from create list show deactivate activate drop help" -f -a "drop" -d 'Drop a tenant with all its rows (asks first, or --yes)'
complete -c baas -n "__fish_baas_using_subcommand tenants; and not __fish_seen_subcommand_from create list show deactivate activate drop help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from create" -l name -d 'A display name (with one slug)' -r
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from create" -l pool-size -d 'Connections the tenant\'s pool holds at most, 1 to 100 [default: 8] (database tenants)' -r
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from create" -l dir -d 'Folder holding the migrations [default: `migrations` beside the manifest]' -r -F
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from create" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from create" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from create" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from create" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from list" -l dir -d 'Folder holding the migrations [default: `migrations` beside the manifest]' -r -F
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from list" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from list" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from list" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from list" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from show" -l dir -d 'Folder holding the migrations [default: `migrations` beside the manifest]' -r -F
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from show" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from show" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from show" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from show" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from deactivate" -l dir -d 'Folder holding the migrations [default: `migrations` beside the manifest]' -r -F
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from deactivate" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from deactivate" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from deactivate" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from deactivate" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from deactivate" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from deactivate" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from deactivate" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from activate" -l dir -d 'Folder holding the migrations [default: `migrations` beside the manifest]' -r -F
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from activate" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from activate" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from activate" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from activate" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from activate" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from activate" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from activate" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from drop" -l dir -d 'Folder holding the migrations [default: `migrations` beside the manifest]' -r -F
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from drop" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from drop" -l keep-rows -d 'A `row` tenant: remove it from the registry but keep its rows in the shared tables'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from drop" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from drop" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from drop" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from drop" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from drop" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from drop" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from help" -f -a "create" -d 'Make a tenant: its file, schema or database, with every migration applied (all or nothing)'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the tenants of the registry'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one tenant'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from help" -f -a "deactivate" -d 'Stop serving a tenant (its rows are kept)'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from help" -f -a "activate" -d 'Serve a deactivated tenant again'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from help" -f -a "drop" -d 'Drop a tenant with all its rows (asks first, or --yes)'
complete -c baas -n "__fish_baas_using_subcommand tenants; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c baas -n "__fish_baas_using_subcommand codegen" -s o -l out -d 'Directory to write into [default: generated/<target>]' -r -F
complete -c baas -n "__fish_baas_using_subcommand codegen" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand codegen" -l check -d 'Write nothing; exit 1 when the files on disk are stale (for CI)'
complete -c baas -n "__fish_baas_using_subcommand codegen" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand codegen" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand codegen" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand codegen" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand codegen" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c baas -n "__fish_baas_using_subcommand codegen" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand serve" -s p -l port -d 'Port to listen on' -r
complete -c baas -n "__fish_baas_using_subcommand serve" -l host -d 'Address to bind' -r
complete -c baas -n "__fish_baas_using_subcommand serve" -l db -d 'Database to serve [default: `[source] url` of the manifest, else the embedded SQLite file]' -r
complete -c baas -n "__fish_baas_using_subcommand serve" -l header-timeout -d 'Seconds a client has to send a request\'s headers; idle keep-alive connections close after it too [default: `[api] header_timeout_seconds`, else 10]' -r
complete -c baas -n "__fish_baas_using_subcommand serve" -l request-timeout -d 'Seconds a request may take [default: `[api] request_timeout_seconds`, else 30]' -r
complete -c baas -n "__fish_baas_using_subcommand serve" -l max-connections -d 'Open connections at most; more are answered 503 [default: `[api] max_connections`, else 1024 or fewer under a low open-files limit]' -r
complete -c baas -n "__fish_baas_using_subcommand serve" -l upstream -d 'Serve the manifest\'s API by calling the upstream API at this base URL [default: `[source] url` with `engine = "http"`, else `[api] base_url`]' -r
complete -c baas -n "__fish_baas_using_subcommand serve" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand serve" -l example -d 'Serve the bundled example manifest with example rows'
complete -c baas -n "__fish_baas_using_subcommand serve" -l accept-data-loss -d 'Apply destructive manifest changes to the embedded dev database on reload'
complete -c baas -n "__fish_baas_using_subcommand serve" -l no-studio -d 'Do not serve the studio (the web admin page at `/_studio`, where `/` redirects)'
complete -c baas -n "__fish_baas_using_subcommand serve" -l postgrest -d 'Also serve the PostgREST-compatible profile, at `/rest/v1` [default: `[api] postgrest`]'
complete -c baas -n "__fish_baas_using_subcommand serve" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand serve" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand serve" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand serve" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand serve" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand serve" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand studio" -s p -l port -d 'Port of the running server' -r
complete -c baas -n "__fish_baas_using_subcommand studio" -l host -d 'Address of the running server' -r
complete -c baas -n "__fish_baas_using_subcommand studio" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand studio" -l no-open -d 'Only print the URL; do not start a browser'
complete -c baas -n "__fish_baas_using_subcommand studio" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand studio" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand studio" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand studio" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand studio" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand studio" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and not __fish_seen_subcommand_from list retry purge help" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand webhooks; and not __fish_seen_subcommand_from list retry purge help" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and not __fish_seen_subcommand_from list retry purge help" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and not __fish_seen_subcommand_from list retry purge help" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and not __fish_seen_subcommand_from list retry purge help" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and not __fish_seen_subcommand_from list retry purge help" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and not __fish_seen_subcommand_from list retry purge help" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and not __fish_seen_subcommand_from list retry purge help" -f -a "list" -d 'List deliveries, newest first, with how many are in each state'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and not __fish_seen_subcommand_from list retry purge help" -f -a "retry" -d 'Deliver again now, attempts reset: the given deliveries, or every dead one'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and not __fish_seen_subcommand_from list retry purge help" -f -a "purge" -d 'Delete delivered deliveries (and dead ones with --dead)'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and not __fish_seen_subcommand_from list retry purge help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from list" -l db -d 'The database whose outbox to read [default: `.baas/outbox.sqlite3` for an upstream API\'s manifest, else `[source] url` of the manifest, else the embedded `.baas/dev.sqlite3`]' -r
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from list" -l state -d 'Only deliveries in this state' -r -f -a "pending\t''
delivered\t''
dead\t''"
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from list" -l limit -d 'At most this many deliveries' -r
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from list" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from list" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from list" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from list" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from retry" -l db -d 'The database whose outbox to read [default: `.baas/outbox.sqlite3` for an upstream API\'s manifest, else `[source] url` of the manifest, else the embedded `.baas/dev.sqlite3`]' -r
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from retry" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from retry" -l all-dead -d 'Every dead delivery'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from retry" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from retry" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from retry" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from retry" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from retry" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from retry" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from purge" -l db -d 'The database whose outbox to read [default: `.baas/outbox.sqlite3` for an upstream API\'s manifest, else `[source] url` of the manifest, else the embedded `.baas/dev.sqlite3`]' -r
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from purge" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from purge" -l dead -d 'Delete the dead deliveries too'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from purge" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from purge" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from purge" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from purge" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from purge" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from purge" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from help" -f -a "list" -d 'List deliveries, newest first, with how many are in each state'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from help" -f -a "retry" -d 'Deliver again now, attempts reset: the given deliveries, or every dead one'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from help" -f -a "purge" -d 'Delete delivered deliveries (and dead ones with --dead)'
complete -c baas -n "__fish_baas_using_subcommand webhooks; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c baas -n "__fish_baas_using_subcommand completions" -l manifest -d 'Path of the manifest to read or write' -r -F
complete -c baas -n "__fish_baas_using_subcommand completions" -l json -d 'Print machine-readable JSON on stdout instead of tables and prose'
complete -c baas -n "__fish_baas_using_subcommand completions" -s q -l quiet -d 'Print only errors and requested data'
complete -c baas -n "__fish_baas_using_subcommand completions" -s y -l yes -d 'Answer yes to every question (never prompt); needed for risky steps without a terminal'
complete -c baas -n "__fish_baas_using_subcommand completions" -l no-color -d 'Never use colors (also when the NO_COLOR environment variable is set)'
complete -c baas -n "__fish_baas_using_subcommand completions" -s h -l help -d 'Print help'
complete -c baas -n "__fish_baas_using_subcommand completions" -s V -l version -d 'Print version'
complete -c baas -n "__fish_baas_using_subcommand help; and not __fish_seen_subcommand_from init introspect show validate diff migrate check rules tenants codegen serve studio webhooks completions help" -f -a "init" -d 'Create a baas.toml: interactively, or from flags'
complete -c baas -n "__fish_baas_using_subcommand help; and not __fish_seen_subcommand_from init introspect show validate diff migrate check rules tenants codegen serve studio webhooks completions help" -f -a "introspect" -d 'Read a database or schema file into baas.toml'
complete -c baas -n "__fish_baas_using_subcommand help; and not __fish_seen_subcommand_from init introspect show validate diff migrate check rules tenants codegen serve studio webhooks completions help" -f -a "show" -d 'Show the entities of the manifest, or one entity in detail'
complete -c baas -n "__fish_baas_using_subcommand help; and not __fish_seen_subcommand_from init introspect show validate diff migrate check rules tenants codegen serve studio webhooks completions help" -f -a "validate" -d 'Check baas.toml and report every problem with its line and column'
complete -c baas -n "__fish_baas_using_subcommand help; and not __fish_seen_subcommand_from init introspect show validate diff migrate check rules tenants codegen serve studio webhooks completions help" -f -a "diff" -d 'Compare two schemas (manifests, live databases, schema files) and classify every change'
complete -c baas -n "__fish_baas_using_subcommand help; and not __fish_seen_subcommand_from init introspect show validate diff migrate check rules tenants codegen serve studio webhooks completions help" -f -a "migrate" -d 'Plan, apply and inspect migrations'
complete -c baas -n "__fish_baas_using_subcommand help; and not __fish_seen_subcommand_from init introspect show validate diff migrate check rules tenants codegen serve studio webhooks completions help" -f -a "check" -d 'Fail when the schema drifted (for CI)'
complete -c baas -n "__fish_baas_using_subcommand help; and not __fish_seen_subcommand_from init introspect show validate diff migrate check rules tenants codegen serve studio webhooks completions help" -f -a "rules" -d 'Test the rules of baas.toml against a table of cases'
complete -c baas -n "__fish_baas_using_subcommand help; and not __fish_seen_subcommand_from init introspect show validate diff migrate check rules tenants codegen serve studio webhooks completions help" -f -a "tenants" -d 'Make, list, deactivate and drop the tenants of a manifest with [tenancy]'
complete -c baas -n "__fish_baas_using_subcommand help; and not __fish_seen_subcommand_from init introspect show validate diff migrate check rules tenants codegen serve studio webhooks completions help" -f -a "codegen" -d 'Generate typed clients and API documents from the manifest'
complete -c baas -n "__fish_baas_using_subcommand help; and not __fish_seen_subcommand_from init introspect show validate diff migrate check rules tenants codegen serve studio webhooks completions help" -f -a "serve" -d 'Serve a REST API that follows the manifest, reloading when it changes'
complete -c baas -n "__fish_baas_using_subcommand help; and not __fish_seen_subcommand_from init introspect show validate diff migrate check rules tenants codegen serve studio webhooks completions help" -f -a "studio" -d 'Open the studio (the web admin page of `baas serve`) in the browser'
complete -c baas -n "__fish_baas_using_subcommand help; and not __fish_seen_subcommand_from init introspect show validate diff migrate check rules tenants codegen serve studio webhooks completions help" -f -a "webhooks" -d 'List, retry and purge webhook deliveries'
complete -c baas -n "__fish_baas_using_subcommand help; and not __fish_seen_subcommand_from init introspect show validate diff migrate check rules tenants codegen serve studio webhooks completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c baas -n "__fish_baas_using_subcommand help; and not __fish_seen_subcommand_from init introspect show validate diff migrate check rules tenants codegen serve studio webhooks completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c baas -n "__fish_baas_using_subcommand help; and __fish_seen_subcommand_from migrate" -f -a "plan" -d 'Write the next migration (`migrations/NNNN_name/`) from the changes in baas.toml'
complete -c baas -n "__fish_baas_using_subcommand help; and __fish_seen_subcommand_from migrate" -f -a "apply" -d 'Apply pending migrations to a database, each in a transaction where the engine allows'
complete -c baas -n "__fish_baas_using_subcommand help; and __fish_seen_subcommand_from migrate" -f -a "status" -d 'Show which migrations are applied, pending or modified since they were applied'
complete -c baas -n "__fish_baas_using_subcommand help; and __fish_seen_subcommand_from migrate" -f -a "down" -d 'Undo the last N applied migrations with their down scripts'
complete -c baas -n "__fish_baas_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "test" -d 'Run a table of cases (claims, action, row or body, expected allow or deny) against the rules, and against PostgreSQL\'s policies with --url'
complete -c baas -n "__fish_baas_using_subcommand help; and __fish_seen_subcommand_from tenants" -f -a "create" -d 'Make a tenant: its file, schema or database, with every migration applied (all or nothing)'
complete -c baas -n "__fish_baas_using_subcommand help; and __fish_seen_subcommand_from tenants" -f -a "list" -d 'List the tenants of the registry'
complete -c baas -n "__fish_baas_using_subcommand help; and __fish_seen_subcommand_from tenants" -f -a "show" -d 'Show one tenant'
complete -c baas -n "__fish_baas_using_subcommand help; and __fish_seen_subcommand_from tenants" -f -a "deactivate" -d 'Stop serving a tenant (its rows are kept)'
complete -c baas -n "__fish_baas_using_subcommand help; and __fish_seen_subcommand_from tenants" -f -a "activate" -d 'Serve a deactivated tenant again'
complete -c baas -n "__fish_baas_using_subcommand help; and __fish_seen_subcommand_from tenants" -f -a "drop" -d 'Drop a tenant with all its rows (asks first, or --yes)'
complete -c baas -n "__fish_baas_using_subcommand help; and __fish_seen_subcommand_from webhooks" -f -a "list" -d 'List deliveries, newest first, with how many are in each state'
complete -c baas -n "__fish_baas_using_subcommand help; and __fish_seen_subcommand_from webhooks" -f -a "retry" -d 'Deliver again now, attempts reset: the given deliveries, or every dead one'
complete -c baas -n "__fish_baas_using_subcommand help; and __fish_seen_subcommand_from webhooks" -f -a "purge" -d 'Delete delivered deliveries (and dead ones with --dead)'

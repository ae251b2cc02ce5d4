/**
 * The {@code keyseat} command line: schema migrations, accounts, licences, usage, key import and
 * export, audit export and leaked-key revocation over a JDBC store. Not an API: the commands and
 * their exit codes are documented in the README.
 */
@NullMarked
package dev.keyseat.cli;

import org.jspecify.annotations.NullMarked;

/**
 * The admin portal example: the "API Keys" page of a device platform on the JDK's HTTP server.
 *
 * <p>{@link dev.keyseat.examples.portal.AdminPortal} serves a plain HTML/JavaScript page and a
 * JSON API over {@link dev.keyseat.KeyManager}; {@link dev.keyseat.examples.portal.DemoAccount}
 * seeds one account with 5 licenses, six air monitors and a demo user per role. The server maps
 * the signed-in demo user to an {@link dev.keyseat.Actor} and lets Keyseat decide every request.
 */
package dev.keyseat.examples.portal;

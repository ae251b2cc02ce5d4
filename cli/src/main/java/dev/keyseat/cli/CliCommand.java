package dev.keyseat.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A leaf command: reaches the global options through the root command, prints through picocli's writers. */
abstract class CliCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  KeyseatCli cli() {
    return (KeyseatCli) spec.root().userObject();
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }
}

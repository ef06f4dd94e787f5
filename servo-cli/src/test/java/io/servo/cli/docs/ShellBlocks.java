package io.servo.cli.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The fenced {@code ```sh} blocks of a Markdown page, each with the heading it stands under. */
record ShellBlocks(Path page, List<Block> blocks) {

  /** One block: the nearest heading above it, and its text. */
  record Block(String heading, String text) {
    /** The block's commands: its lines, with {@code \}-continued lines joined, blank lines dropped. */
    List<String> commands() {
      List<String> commands = new ArrayList<>();
      StringBuilder current = new StringBuilder();
      for (String line : text.split("\n")) {
        current.append(line);
        if (line.endsWith("\\")) {
          current.append('\n');
          continue;
        }
        if (!current.toString().isBlank()) {
          commands.add(current.toString());
        }
        current.setLength(0);
      }
      return commands;
    }
  }

  static ShellBlocks of(Path page) throws IOException {
    List<Block> blocks = new ArrayList<>();
    String heading = "";
    StringBuilder block = null;
    for (String line : Files.readAllLines(page)) {
      if (block != null) {
        if (line.startsWith("```")) {
          blocks.add(new Block(heading, block.toString()));
          block = null;
        } else {
          block.append(line).append('\n');
        }
      } else if (line.equals("```sh")) {
        block = new StringBuilder();
      } else if (line.startsWith("#")) {
        heading = line.replaceFirst("^#+\\s*", "");
      }
    }
    return new ShellBlocks(page, List.copyOf(blocks));
  }

  /** The blocks under headings that start with {@code headingPrefix}. */
  List<Block> under(String headingPrefix) {
    return blocks.stream().filter(b -> b.heading().startsWith(headingPrefix)).toList();
  }
}

"""Read a CSV file and print its fields, one line per record: csvfield's test driver."""

import sys

import csvfield


def main(path: str) -> int:
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            fields = csvfield.split(line.rstrip("\n"))
            if fields:
                print(" | ".join(fields))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

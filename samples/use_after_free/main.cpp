// Outline reader: each input line is an item, indented by two spaces per
// level. Builds the tree in a flat vector (each node knows its parent) and
// prints every node with the number of children it has.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

struct Node {
    std::string name;
    int depth;
    int parent;
    int children;
};

static int indent_of(const std::string &line)
{
    std::size_t spaces = line.find_first_not_of(' ');
    return spaces == std::string::npos ? -1 : static_cast<int>(spaces / 2);
}

static void add_node(std::vector<Node> &nodes, std::vector<int> &open, const std::string &line)
{
    int depth = indent_of(line);
    if (depth < 0)
        return;
    std::string name = line.substr(line.find_first_not_of(' '));
    while (!open.empty() && nodes[open.back()].depth >= depth)
        open.pop_back();
    int parent = open.empty() ? -1 : open.back();
    if (parent >= 0) {
        Node &owner = nodes[parent];
        nodes.push_back(Node{name, depth, parent, 0});
        owner.children++;
    } else {
        nodes.push_back(Node{name, depth, -1, 0});
    }
    open.push_back(static_cast<int>(nodes.size()) - 1);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::cerr << "usage: " << argv[0] << " OUTLINE\n";
        return 2;
    }
    std::ifstream in(argv[1]);
    if (!in) {
        std::cerr << argv[1] << ": cannot open\n";
        return 1;
    }
    std::vector<Node> nodes;
    nodes.reserve(16);  // most outlines are short
    std::vector<int> open;
    std::string line;
    while (std::getline(in, line))
        add_node(nodes, open, line);
    for (const Node &node : nodes)
        std::printf("%*s%s (%d)\n", node.depth * 2, "", node.name.c_str(), node.children);
    return 0;
}

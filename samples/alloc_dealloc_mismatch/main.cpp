// JSON string escaper: reads a text file and prints it as one JSON string
// literal, escaping quotes, backslashes and control characters. The output
// is assembled in a growable buffer.
#include <cstddef>
#include <cstdio>
#include <cstring>

class Buffer {
public:
    Buffer() : data_(new char[kInitial]), size_(0), capacity_(kInitial) {}
    ~Buffer() { delete[] data_; }
    Buffer(const Buffer &) = delete;
    Buffer &operator=(const Buffer &) = delete;

    void append(const char *text, std::size_t n)
    {
        if (size_ + n + 1 > capacity_)
            grow(size_ + n + 1);
        std::memcpy(data_ + size_, text, n);
        size_ += n;
        data_[size_] = '\0';
    }

    void append(char c) { append(&c, 1); }
    const char *c_str() const { return size_ ? data_ : ""; }

private:
    static constexpr std::size_t kInitial = 64;

    void grow(std::size_t needed)
    {
        std::size_t capacity = capacity_;
        while (capacity < needed)
            capacity *= 2;
        char *bigger = new char[capacity];
        std::memcpy(bigger, data_, size_);
        delete data_;
        data_ = bigger;
        capacity_ = capacity;
    }

    char *data_;
    std::size_t size_;
    std::size_t capacity_;
};

static void escape_char(Buffer &out, unsigned char c)
{
    char code[8];
    switch (c) {
    case '"': out.append("\\\"", 2); break;
    case '\\': out.append("\\\\", 2); break;
    case '\n': out.append("\\n", 2); break;
    case '\t': out.append("\\t", 2); break;
    default:
        if (c < 0x20) {
            std::snprintf(code, sizeof code, "\\u%04x", c);
            out.append(code, std::strlen(code));
        } else {
            out.append(static_cast<char>(c));
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    std::FILE *f = std::fopen(argv[1], "rb");
    if (f == nullptr) {
        std::perror(argv[1]);
        return 1;
    }
    Buffer out;
    out.append('"');
    int c;
    while ((c = std::fgetc(f)) != EOF)
        escape_char(out, static_cast<unsigned char>(c));
    out.append('"');
    std::fclose(f);
    std::puts(out.c_str());
    return 0;
}

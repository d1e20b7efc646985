/* Every checker: one line each. X(name) names ic_checker_<name>. */
X(counter)
X(dead_holder)
X(deadlock)
X(hang)
X(crash)
X(leaks)
X(messages)
X(perms)

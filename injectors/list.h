/* Every injector: one line each. X(name) names ic_injector_<name>. */
X(delay)
X(kill)
X(nolock)
X(stall)
X(fail)

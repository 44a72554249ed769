# submitted by Jos_: a different student from the other three folders here
WHO = "Jos_"
